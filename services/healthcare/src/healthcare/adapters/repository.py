"""``DynamoClinic``: every query and write healthcare makes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from healthcare.adapters.models import (
    CareModel,
    ClinicModel,
    DisclosureModel,
    InvoiceModel,
    PatientModel,
    ProviderModel,
    RecordModel,
)
from healthcare.domain.exceptions import (
    DuplicateMrn,
    DuplicateNpi,
    InvoiceExists,
    InvoiceNotFound,
    PatientNotFound,
    ProviderNotFound,
    RecordNotFound,
)
from healthcare.domain.models import (
    Consent,
    Disclosure,
    Encounter,
    Invoice,
    InvoiceStatus,
    Patient,
    Provider,
    Record,
)

# Where a listing resumes: DynamoDB's LastEvaluatedKey, sealed into the API's opaque cursor
# by lift_core.pagination (so only keys this service wrote ever come back).
Position = dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ClinicTables:
    patients: type[PatientModel]
    providers: type[ProviderModel]
    care: type[CareModel]
    records: type[RecordModel]
    disclosures: type[DisclosureModel]
    invoices: type[InvoiceModel]
    clinics: type[ClinicModel]

    def all(self) -> list[type[Model]]:
        return [
            self.patients,
            self.providers,
            self.care,
            self.records,
            self.disclosures,
            self.invoices,
            self.clinics,
        ]


def _failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


class DynamoClinic:
    def __init__(self, tables: ClinicTables) -> None:
        self.t = tables
        meta = tables.patients.Meta
        self._connection = Connection(
            region=getattr(meta, "region", None), host=getattr(meta, "host", None)
        )

    # -- clinic -------------------------------------------------------------------------

    def clinic(self, tenant_id: str) -> tuple[str, str] | None:
        try:
            item = self.t.clinics.get(tenant_id)
        except DoesNotExist:
            return None
        return item.merchant_account_id, item.currency

    def save_clinic(self, tenant_id: str, merchant_account_id: str, currency: str) -> None:
        self.t.clinics(tenant_id, merchant_account_id=merchant_account_id, currency=currency).save()

    # -- patients -----------------------------------------------------------------------

    def add_patient(self, p: Patient, *, ssn_sealed: str | None, ssn_index: str | None) -> None:
        patients = self.t.patients
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(
                    patients(p.tenant_id, f"mrn#{p.mrn}"),
                    condition=patients.patient_id.does_not_exist(),
                )
                tx.save(
                    patients(
                        p.tenant_id,
                        p.id,
                        tenant_mrn=f"{p.tenant_id}#{p.mrn}",
                        mrn=p.mrn,
                        subject=p.subject,
                        bank_account_id=p.bank_account_id,
                        phi=p.phi,
                        ssn_sealed=ssn_sealed,
                        ssn_index=ssn_index,
                        consent=_consent_json(p.consent),
                        created_at=p.created_at,
                    ),
                    condition=patients.patient_id.does_not_exist(),
                )
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise DuplicateMrn(f"MRN {p.mrn} is already in use") from exc
            raise

    def patient(self, tenant_id: str, patient_id: str) -> Patient:
        if not patient_id.startswith("pat_"):
            raise PatientNotFound(patient_id)
        try:
            item = self.t.patients.get(tenant_id, patient_id, consistent_read=True)
        except DoesNotExist:
            raise PatientNotFound(patient_id) from None
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

    def patient_by_mrn(self, tenant_id: str, mrn: str) -> str | None:
        for item in self.t.patients.mrn_index.query(f"{tenant_id}#{mrn}", limit=1):
            return str(item.patient_id)
        return None

    def patients_by_ssn_index(self, tenant_id: str, ssn_index: str) -> list[str]:
        return [
            str(item.patient_id)
            for item in self.t.patients.by_ssn.query(ssn_index)
            if item.tenant_id == tenant_id
        ]

    def set_consent(self, tenant_id: str, patient_id: str, consent: Consent) -> None:
        patients = self.t.patients
        try:
            patients(tenant_id, patient_id).update(
                actions=[patients.consent.set(_consent_json(consent))],
                condition=patients.mrn.exists(),
            )
        except UpdateError as exc:
            if _failed(exc):
                raise PatientNotFound(patient_id) from exc
            raise

    def set_bank_account(self, tenant_id: str, patient_id: str, account_id: str) -> None:
        patients = self.t.patients
        try:
            patients(tenant_id, patient_id).update(
                actions=[patients.bank_account_id.set(account_id)],
                condition=patients.mrn.exists(),
            )
        except UpdateError as exc:
            if _failed(exc):
                raise PatientNotFound(patient_id) from exc
            raise

    # -- providers ----------------------------------------------------------------------

    def add_provider(self, p: Provider) -> None:
        providers = self.t.providers
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(
                    providers(p.tenant_id, f"npi#{p.npi}"),
                    condition=providers.provider_id.does_not_exist(),
                )
                tx.save(
                    providers(
                        p.tenant_id,
                        p.id,
                        tenant_subject=f"{p.tenant_id}#{p.subject}",
                        npi=p.npi,
                        name=p.name,
                        kind=p.kind,
                        subject=p.subject,
                        created_at=p.created_at,
                    ),
                )
        except TransactWriteError as exc:
            raise DuplicateNpi(f"NPI {p.npi} is already registered") from exc

    def provider(self, tenant_id: str, provider_id: str) -> Provider:
        if not provider_id.startswith("prv_"):
            raise ProviderNotFound(provider_id)
        try:
            item = self.t.providers.get(tenant_id, provider_id)
        except DoesNotExist:
            raise ProviderNotFound(provider_id) from None
        return _provider(item)

    def provider_of(self, tenant_id: str, subject: str) -> Provider | None:
        for item in self.t.providers.by_subject.query(f"{tenant_id}#{subject}", limit=1):
            return _provider(item)
        return None

    # -- care ---------------------------------------------------------------------------

    def add_encounter(self, e: Encounter) -> None:
        care = self.t.care
        with TransactWrite(connection=self._connection) as tx:
            tx.save(
                care(
                    e.tenant_id,
                    e.id,
                    patient_id=e.patient_id,
                    provider_id=e.provider_id,
                    created_at=e.created_at,
                )
            )
            tx.save(
                care(
                    e.tenant_id,
                    f"rel#{e.patient_id}#{e.provider_id}",
                    patient_id=e.patient_id,
                    provider_id=e.provider_id,
                    created_at=e.created_at,
                )
            )

    def encounter(self, tenant_id: str, encounter_id: str) -> Encounter | None:
        if not encounter_id.startswith("enc_"):
            return None
        try:
            item = self.t.care.get(tenant_id, encounter_id)
        except DoesNotExist:
            return None
        return Encounter(
            item.item_id, tenant_id, item.patient_id, item.provider_id, item.created_at
        )

    def related(self, tenant_id: str, patient_id: str, provider_id: str) -> bool:
        try:
            self.t.care.get(tenant_id, f"rel#{patient_id}#{provider_id}")
        except DoesNotExist:
            return False
        return True

    def grant_break_glass(
        self,
        tenant_id: str,
        patient_id: str,
        provider_id: str,
        *,
        at: str,
        until: str,
        reason: str,
    ) -> None:
        self.t.care(
            tenant_id,
            f"bg#{patient_id}#{provider_id}",
            patient_id=patient_id,
            provider_id=provider_id,
            created_at=at,
            expires_at=until,
            reason=reason,
        ).save()

    def break_glass_until(self, tenant_id: str, patient_id: str, provider_id: str) -> str | None:
        try:
            return self.t.care.get(tenant_id, f"bg#{patient_id}#{provider_id}").expires_at
        except DoesNotExist:
            return None

    # -- records ------------------------------------------------------------------------

    def add_record(self, r: Record) -> None:
        self.t.records(
            r.tenant_id,
            r.id,
            tenant_patient=f"{r.tenant_id}#{r.patient_id}",
            patient_id=r.patient_id,
            author_provider_id=r.author_provider_id,
            kind=r.kind,
            content_sealed=r.content_sealed,
            created_at=r.created_at,
        ).save()

    def record(self, tenant_id: str, record_id: str) -> Record:
        if not record_id.startswith("rec_"):
            raise RecordNotFound(record_id)
        try:
            item = self.t.records.get(tenant_id, record_id)
        except DoesNotExist:
            raise RecordNotFound(record_id) from None
        return _record(item)

    def records_of(
        self, tenant_id: str, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Record], Position]:
        results = self.t.records.by_patient.query(
            f"{tenant_id}#{patient_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=start,
        )
        return [_record(item) for item in results], results.last_evaluated_key

    # -- disclosures --------------------------------------------------------------------

    def disclose(self, tenant_id: str, patient_id: str, d: Disclosure) -> None:
        self.t.disclosures(
            f"{tenant_id}#{patient_id}",
            f"{d.at}#{uuid.uuid4().hex[:8]}",
            at=d.at,
            accessor=d.accessor,
            role=d.role,
            purpose=d.purpose,
            resource=d.resource,
            outcome=d.outcome,
            reason=d.reason,
            emergency=d.emergency,
        ).save()

    def disclosures(
        self, tenant_id: str, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Disclosure], Position]:
        results = self.t.disclosures.query(
            f"{tenant_id}#{patient_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=start,
        )
        page = [
            Disclosure(
                i.at,
                i.accessor,
                i.role,
                i.purpose,
                i.resource,
                i.outcome,
                i.reason,
                bool(i.emergency),
            )
            for i in results
        ]
        return page, results.last_evaluated_key

    # -- invoices -----------------------------------------------------------------------

    def add_invoice(self, inv: Invoice) -> None:
        try:
            self.t.invoices(
                inv.tenant_id,
                inv.id,
                encounter_id=inv.encounter_id,
                patient_id=inv.patient_id,
                amount=inv.amount,
                currency=inv.currency,
                payer_account_id=inv.payer_account_id,
                merchant_account_id=inv.merchant_account_id,
                status=inv.status.value,
                created_at=inv.created_at,
                updated_at=inv.updated_at,
                open_marker="open",
            ).save(condition=self.t.invoices.invoice_id.does_not_exist())
        except PutError as exc:
            if _failed(exc):
                raise InvoiceExists(f"encounter {inv.encounter_id} is already invoiced") from exc
            raise

    def invoice(self, tenant_id: str, invoice_id: str) -> Invoice:
        try:
            item = self.t.invoices.get(tenant_id, invoice_id, consistent_read=True)
        except DoesNotExist:
            raise InvoiceNotFound(invoice_id) from None
        return _invoice(item)

    def settle_invoice(
        self,
        inv: Invoice,
        status: InvoiceStatus,
        *,
        at: str,
        payment_id: str | None,
        reason: str,
    ) -> bool:
        """PENDING → PAID or DECLINED; False if someone else settled it first."""
        invoices = self.t.invoices
        actions: list[Any] = [
            invoices.status.set(status.value),
            invoices.updated_at.set(at),
            invoices.reason.set(reason),
            invoices.open_marker.remove(),
        ]
        if payment_id is not None:
            actions.append(invoices.payment_id.set(payment_id))
        try:
            invoices(inv.tenant_id, inv.id).update(
                actions=actions,
                condition=invoices.status == InvoiceStatus.PENDING.value,
            )
        except UpdateError as exc:
            if _failed(exc):
                return False
            raise
        return True

    def pending_invoices(self, *, limit: int) -> list[Invoice]:
        return [_invoice(i) for i in self.t.invoices.open_index.query("open", limit=limit)]


def _consent_json(c: Consent) -> dict[str, object]:
    return {
        "granted": c.granted,
        "restricted_providers": list(c.restricted_providers),
        "updated_at": c.updated_at,
    }


def _provider(item: ProviderModel) -> Provider:
    return Provider(
        id=item.provider_id,
        tenant_id=item.tenant_id,
        npi=item.npi or "",
        name=item.name or "",
        kind=item.kind or "",
        subject=item.subject or "",
        created_at=item.created_at or "",
    )


def _record(item: RecordModel) -> Record:
    return Record(
        id=item.record_id,
        tenant_id=item.tenant_id,
        patient_id=item.patient_id,
        author_provider_id=item.author_provider_id,
        kind=item.kind,
        content_sealed=item.content_sealed,
        created_at=item.created_at,
    )


def _invoice(item: InvoiceModel) -> Invoice:
    return Invoice(
        id=item.invoice_id,
        tenant_id=item.tenant_id,
        encounter_id=item.encounter_id,
        patient_id=item.patient_id,
        amount=int(item.amount),
        currency=item.currency,
        payer_account_id=item.payer_account_id,
        merchant_account_id=item.merchant_account_id,
        status=InvoiceStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        payment_id=item.payment_id,
        reason=item.reason or "",
    )
