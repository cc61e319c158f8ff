"""Patients, consent, records and break-glass, behind the HIPAA access rules: every PHI
read goes through ``PhiAccess``, which decides it and accounts for it."""

from __future__ import annotations

import uuid
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta
from typing import Any

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal
from lift_core.context import run_blocking as blocking
from lift_core.protection import BlindIndex, FieldCipher

from healthcare.domain.access import (
    CARE_ROLES,
    FIELDS,
    Purpose,
    Role,
    decide_demographics,
    decide_record,
    role_of,
)
from healthcare.domain.exceptions import (
    AccessDenied,
    BankAccountNotFound,
    NotPermitted,
    PatientNotFound,
    RecordNotFound,
)
from healthcare.domain.models import BreakGlass, Consent, Disclosure, Patient, Provider, Record
from healthcare.service.phi_access import PhiAccess
from healthcare.service.ports import PaymentGateway, Position, Storage

PHI_FIELDS = ("name", "date_of_birth", "address", "phone", "insurance")


@dataclass(frozen=True, slots=True)
class NewPatient:
    mrn: str
    name: str
    date_of_birth: str
    address: str
    phone: str
    insurance: str
    ssn: str | None
    subject: str | None


@dataclass
class Charts:
    storage: Storage
    cipher: FieldCipher
    blind: BlindIndex
    audit: AuditLog
    payments: PaymentGateway
    _: KW_ONLY
    break_glass_for: timedelta  # how long an emergency grant lasts
    clock: Clock = utc_now

    @property
    def access(self) -> PhiAccess:
        """The gate, on this chart's storage, audit log and clock (as they are now)."""
        return PhiAccess(self.storage, self.audit, self.clock)

    # -- patients -----------------------------------------------------------------------

    def register(self, principal: Principal, new: NewPatient) -> Patient:
        if role_of(principal.roles) not in (Role.ADMIN, Role.CLINICIAN, Role.NURSE):
            raise NotPermitted("patients are registered by admins, clinicians or nurses")
        tenant, pid = principal.tenant_id, f"pat_{uuid.uuid4().hex}"
        values = {f: getattr(new, f) for f in PHI_FIELDS}
        patient = Patient(
            id=pid,
            tenant_id=tenant,
            mrn=new.mrn,
            subject=new.subject,
            bank_account_id=None,  # linked by the patient themselves: link_bank_account
            consent=Consent(granted=True, updated_at=iso(self.clock())),
            created_at=iso(self.clock()),
            phi={f: self.cipher.encrypt(tenant, pid, f, v) for f, v in values.items()},
        )
        self.storage.patients.add(
            patient,
            ssn_sealed=self.cipher.encrypt(tenant, pid, "ssn", new.ssn) if new.ssn else None,
            ssn_index=self.blind.compute(tenant, "ssn", new.ssn) if new.ssn else None,
        )
        self.audit.record("patient.create", f"patient/{pid}", "success", {"mrn": new.mrn})
        return patient

    def view(self, principal: Principal, patient_id: str, purpose: Purpose) -> dict[str, Any]:
        """The patient's profile, cut to the fields the caller's role may see."""
        role, patient = self.access.decide_and_disclose(
            principal,
            patient_id,
            purpose,
            decide_demographics,
            resource=f"patient/{patient_id}",
            provider=self.access.care_provider(principal),
        )
        fields = FIELDS[role]
        shown: dict[str, Any] = {"id": patient.id}
        for name in PHI_FIELDS:
            if name in fields:
                shown[name] = self.cipher.decrypt(
                    patient.tenant_id, patient.id, name, patient.phi[name]
                )
        if "mrn" in fields:
            shown["mrn"] = patient.mrn
        if "consent" in fields:
            shown["consent"] = {
                "granted": patient.consent.granted,
                "restricted_providers": list(patient.consent.restricted_providers),
            }
        return shown

    def search(
        self, principal: Principal, *, mrn: str | None, ssn: str | None
    ) -> list[dict[str, str]]:
        """By MRN (staff), or by exact SSN (admins, through the blind index). Ids only."""
        role = role_of(principal.roles)
        if role in (None, Role.PATIENT, Role.AUDITOR):
            raise NotPermitted("patient search is for staff")
        tenant = principal.tenant_id
        if ssn is not None:
            if role is not Role.ADMIN:
                raise NotPermitted("searching by SSN is for admins")
            ids = self.storage.patients.ids_by_ssn_index(
                tenant, self.blind.compute(tenant, "ssn", ssn)
            )
            self.audit.record(
                "patient.search", "patient/*", "success", {"by": "ssn", "matches": len(ids)}
            )
        else:
            found = self.storage.patients.find_by_mrn(tenant, mrn or "")
            ids = [found] if found else []
            self.audit.record(
                "patient.search", "patient/*", "success", {"by": "mrn", "matches": len(ids)}
            )
        return [{"id": i, "mrn": self.storage.patients.get(tenant, i).mrn} for i in ids]

    def set_consent(
        self, principal: Principal, patient_id: str, *, granted: bool, restricted: list[str]
    ) -> Consent:
        patient = self._patient(principal, patient_id)
        own = patient.subject is not None and patient.subject == principal.subject
        if not own and role_of(principal.roles) is not Role.ADMIN:
            raise NotPermitted("consent is given by the patient (or recorded by an admin)")
        consent = Consent(granted, tuple(sorted(set(restricted))), iso(self.clock()))
        self.storage.patients.set_consent(principal.tenant_id, patient_id, consent)
        self.audit.record(
            "consent.update",
            f"patient/{patient_id}",
            "success",
            {"granted": granted, "restricted_providers": list(consent.restricted_providers)},
        )
        return consent

    def may_link_bank_account(self, principal: Principal, patient_id: str) -> None:
        """Only the patient links the account the clinic's invoices are charged to: staff
        registering a patient cannot point its invoices at someone else's account (and the
        mandate that account's owner gave the clinic for their own care)."""
        patient = self._patient(principal, patient_id)
        if patient.subject is None or patient.subject != principal.subject:
            raise NotPermitted("a bank account is linked by the patient themselves")

    async def link_bank_account(
        self, principal: Principal, patient_id: str, account_id: str
    ) -> None:
        """Links an account banking says the patient holds (asked under their own token)."""
        await blocking(self.may_link_bank_account, principal, patient_id)
        if not await self.payments.owns_account(account_id):
            raise BankAccountNotFound("link a bank account you hold in banking")
        await blocking(
            self.storage.patients.set_bank_account, principal.tenant_id, patient_id, account_id
        )
        await blocking(
            self.audit.record, "patient.bank-account", f"patient/{patient_id}", "success"
        )

    # -- records ------------------------------------------------------------------------

    def add_record(self, principal: Principal, patient_id: str, kind: str, content: str) -> Record:
        role = role_of(principal.roles)
        if role is None or role not in CARE_ROLES:
            raise NotPermitted("records are written by clinicians and nurses")
        provider = self._provider(principal)
        standing = self.access.standing(principal, patient_id, provider)
        if standing.patient is None:
            raise PatientNotFound(patient_id)
        facts = self.access.facts(principal, standing, Purpose.TREATMENT, role, provider)
        decision = decide_record(facts)
        if not decision.allowed:
            self.audit.record(
                "record.create", f"patient/{patient_id}", "denied", {"reason": decision.reason}
            )
            raise AccessDenied(decision.reason)
        assert provider is not None  # facts() refuses a care role without a provider record
        rid = f"rec_{uuid.uuid4().hex}"
        record = Record(
            id=rid,
            tenant_id=principal.tenant_id,
            patient_id=patient_id,
            author_provider_id=provider.id,
            kind=kind,
            content_sealed=self.cipher.encrypt(principal.tenant_id, patient_id, rid, content),
            created_at=iso(self.clock()),
        )
        self.storage.records.add(record)
        self.audit.record(
            "record.create", f"patient/{patient_id}/record/{rid}", "success", {"kind": kind}
        )
        return record

    def read_record(
        self, principal: Principal, record_id: str, purpose: Purpose
    ) -> tuple[Record, str]:
        """The record and its content, if the rules allow; exactly one audit event."""
        provider: Provider | None = None
        try:
            if role_of(principal.roles) in CARE_ROLES:  # the record and the caller's provider:
                record, provider = self.storage.records.get_for(  # one round trip
                    principal.tenant_id, record_id, principal.subject
                )
            else:
                record = self.storage.records.get(principal.tenant_id, record_id)
        except RecordNotFound:
            self.audit.record(
                "record.read",
                f"record/{record_id}",
                "denied",
                {"purpose": purpose.value, "reason": "no such record"},
            )
            raise
        resource = f"patient/{record.patient_id}/record/{record_id}"
        _, patient = self.access.decide_and_disclose(
            principal,
            record.patient_id,
            purpose,
            decide_record,
            resource=resource,
            provider=provider,
        )
        content = self.cipher.decrypt(
            principal.tenant_id, patient.id, record.id, record.content_sealed
        )
        return record, content

    def list_records(
        self,
        principal: Principal,
        patient_id: str,
        purpose: Purpose,
        *,
        limit: int,
        start: Position = None,
    ) -> tuple[list[Record], Position]:
        """The chart's index (no content): the same rules as reading a record."""
        resource = f"patient/{patient_id}/records"
        self.access.decide_and_disclose(
            principal,
            patient_id,
            purpose,
            decide_record,
            resource=resource,
            provider=self.access.care_provider(principal),
        )
        return self.storage.records.of_patient(
            principal.tenant_id, patient_id, limit=limit, start=start
        )

    # -- break-glass and disclosures ----------------------------------------------------

    def break_glass(self, principal: Principal, patient_id: str, reason: str) -> str:
        """Time-limited emergency access for a clinician; flagged in the audit trail."""
        if role_of(principal.roles) is not Role.CLINICIAN:
            raise NotPermitted("break-glass is for clinicians")
        patient = self._patient(principal, patient_id)
        provider = self._provider(principal)
        if provider is None:
            raise NotPermitted("the caller is not a registered provider")
        now = self.clock()
        until = iso(now + self.break_glass_for)
        self.storage.care.grant_break_glass(
            BreakGlass(principal.tenant_id, patient.id, provider.id, iso(now), until, reason)
        )
        self.audit.record(
            "phi.break-glass",
            f"patient/{patient_id}",
            "success",
            {"reason": reason, "until": until},
        )
        return until

    def disclosures(
        self, principal: Principal, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Disclosure], Position]:
        """The accounting of disclosures, newest first, page by page (every one is kept)."""
        patient = self._patient(principal, patient_id)
        own = patient.subject is not None and patient.subject == principal.subject
        if not own and role_of(principal.roles) not in (Role.ADMIN, Role.AUDITOR):
            raise NotPermitted("the accounting of disclosures is for the patient or compliance")
        return self.storage.disclosures.page(
            principal.tenant_id, patient_id, limit=limit, start=start
        )

    # -- helpers ------------------------------------------------------------------------

    def _patient(self, principal: Principal, patient_id: str) -> Patient:
        return self.storage.patients.get(principal.tenant_id, patient_id)

    def _provider(self, principal: Principal) -> Provider | None:
        return self.storage.providers.find_by_subject(principal.tenant_id, principal.subject)
