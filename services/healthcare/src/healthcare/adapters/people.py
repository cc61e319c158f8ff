"""Patients and providers on DynamoDB.

A patient and its ``mrn#<MRN>`` claim (a provider and its ``npi#<NPI>`` and ``sub#<subject>``
claims) are written in one transaction, so two patients never share an MRN nor two
providers an NPI or a login.
"""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from lift_core.dynamo import cancelled_by_condition, condition_failed, find_item

from healthcare.adapters.models import PatientModel, ProviderModel
from healthcare.domain.exceptions import (
    DuplicateMrn,
    DuplicateNpi,
    DuplicateSsn,
    DuplicateSubject,
    PatientNotFound,
    ProviderNotFound,
)
from healthcare.domain.models import Consent, Patient, Provider
from healthcare.service.ports import Position


class DynamoPatients:
    def __init__(self, model: type[PatientModel], connection: Connection) -> None:
        self.model = model
        self._connection = connection

    def add(self, patient: Patient, *, ssn_sealed: str | None, ssn_index: str | None) -> None:
        m, p = self.model, patient
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(m(p.tenant_id, f"mrn#{p.mrn}"), condition=m.patient_id.does_not_exist())
                if ssn_index is not None:  # one patient per SSN, claimed by its blind index
                    tx.save(
                        m(p.tenant_id, f"ssn#{ssn_index}"), condition=m.patient_id.does_not_exist()
                    )
                tx.save(
                    m(
                        p.tenant_id,
                        p.id,
                        tenant_mrn=f"{p.tenant_id}#{p.mrn}",
                        mrn=p.mrn,
                        subject=p.subject,
                        bank_account_id=p.bank_account_id,
                        phi=p.phi,
                        ssn_sealed=ssn_sealed,
                        ssn_index=ssn_index,
                        consent=consent_json(p.consent),
                        created_at=p.created_at,
                    ),
                    condition=m.patient_id.does_not_exist(),
                )
        except TransactWriteError as exc:
            refused = cancelled_by_condition(exc)
            if refused[:1] == [True]:
                raise DuplicateMrn(f"MRN {p.mrn} is already in use") from exc
            if ssn_index is not None and refused[1:2] == [True]:
                raise DuplicateSsn("a patient with this SSN is registered") from exc
            raise

    def get(self, tenant_id: str, patient_id: str) -> Patient:
        ours = patient_id.startswith("pat_")  # an id this service never issued is not read
        item = find_item(self.model, tenant_id, patient_id) if ours else None
        if item is None:
            raise PatientNotFound(patient_id)
        return patient_of(item)

    def find_by_mrn(self, tenant_id: str, mrn: str) -> str | None:
        for item in self.model.mrn_index.query(f"{tenant_id}#{mrn}", limit=1):
            return str(item.patient_id)
        return None

    def ids_by_ssn_index(self, tenant_id: str, ssn_index: str) -> list[str]:
        return [
            str(item.patient_id)
            for item in self.model.by_ssn.query(ssn_index)
            if item.tenant_id == tenant_id
        ]

    def set_consent(self, tenant_id: str, patient_id: str, consent: Consent) -> None:
        self._update(tenant_id, patient_id, self.model.consent.set(consent_json(consent)))

    def set_bank_account(self, tenant_id: str, patient_id: str, account_id: str) -> None:
        self._update(tenant_id, patient_id, self.model.bank_account_id.set(account_id))

    def _update(self, tenant_id: str, patient_id: str, action: object) -> None:
        try:
            self.model(tenant_id, patient_id).update(
                actions=[action],  # type: ignore[list-item]
                condition=self.model.mrn.exists(),
            )
        except UpdateError as exc:
            if condition_failed(exc):
                raise PatientNotFound(patient_id) from exc
            raise


class DynamoProviders:
    def __init__(self, model: type[ProviderModel], connection: Connection) -> None:
        self.model = model
        self._connection = connection

    def add(self, provider: Provider) -> None:
        m, p = self.model, provider

        def copy(range_key: str, of: str | None = None) -> ProviderModel:
            return m(
                p.tenant_id,
                range_key,
                npi=p.npi,
                name=p.name,
                kind=p.kind,
                subject=p.subject,
                created_at=p.created_at,
                provider=of,
            )

        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(m(p.tenant_id, f"npi#{p.npi}"), condition=m.provider_id.does_not_exist())
                tx.save(
                    copy(subject_claim(p.subject), of=p.id),
                    condition=m.provider_id.does_not_exist(),
                )
                tx.save(copy(p.id))
        except TransactWriteError as exc:
            refused = cancelled_by_condition(exc)
            if refused[:1] == [True]:
                raise DuplicateNpi(f"NPI {p.npi} is already registered") from exc
            if refused[1:2] == [True]:
                raise DuplicateSubject("another provider signs in as this subject") from exc
            raise

    def get(self, tenant_id: str, provider_id: str) -> Provider:
        ours = provider_id.startswith("prv_")
        item = find_item(self.model, tenant_id, provider_id, consistent=False) if ours else None
        if item is None:
            raise ProviderNotFound(provider_id)
        return provider_of(item)

    def find_by_subject(self, tenant_id: str, subject: str) -> Provider | None:
        """One read of the subject's claim (the provider's copy), not a query of the index."""
        item = find_item(self.model, tenant_id, subject_claim(subject), consistent=False)
        return None if item is None else provider_of(item)

    def page(
        self, tenant_id: str, *, limit: int, start: Position
    ) -> tuple[list[Provider], Position]:
        results = self.model.query(
            tenant_id,
            range_key_condition=self.model.provider_id.startswith("prv_"),
            limit=limit,
            last_evaluated_key=start,
        )
        return [provider_of(item) for item in results], results.last_evaluated_key


def patient_of(item: PatientModel) -> Patient:
    consent = item.consent or {}
    return Patient(
        id=item.patient_id,
        tenant_id=item.tenant_id,
        mrn=item.mrn or "",
        subject=item.subject,
        bank_account_id=item.bank_account_id,
        consent=Consent(
            granted=bool(consent.get("granted", True)),
            restricted_providers=tuple(consent.get("restricted_providers", ())),
            updated_at=str(consent.get("updated_at", "")),
        ),
        created_at=item.created_at or "",
        phi=dict(item.phi or {}),
    )


def consent_json(c: Consent) -> dict[str, object]:
    return {
        "granted": c.granted,
        "restricted_providers": list(c.restricted_providers),
        "updated_at": c.updated_at,
    }


def subject_claim(subject: str) -> str:
    return f"sub#{subject}"


def provider_of(item: ProviderModel) -> Provider:
    """A provider, from its own item or from its subject claim's copy."""
    return Provider(
        id=item.provider or item.provider_id,
        tenant_id=item.tenant_id,
        npi=item.npi or "",
        name=item.name or "",
        kind=item.kind or "",
        subject=item.subject or "",
        created_at=item.created_at or "",
    )
