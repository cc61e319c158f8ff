"""In-memory implementations of healthcare's ports, for use-case unit tests.

They keep the contracts the adapters keep (the integration suites prove those on the
emulator and against the real banking app): ``get`` raises, ``find`` returns None, an MRN or
NPI is claimed once, an invoice is settled once, and the accounting of disclosures only grows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TypeVar

from lift_core.audit import Staged

from healthcare.domain.exceptions import (
    DuplicateMrn,
    DuplicateNpi,
    DuplicateSsn,
    DuplicateSubject,
    InvoiceExists,
    InvoiceNotFound,
    PatientNotFound,
    ProviderNotFound,
    RecordNotFound,
)
from healthcare.domain.models import (
    BreakGlass,
    ClinicAccount,
    Consent,
    Disclosure,
    Encounter,
    Invoice,
    InvoiceStatus,
    Patient,
    Provider,
    Record,
)
from healthcare.domain.payments import Charge, Payment, PaymentRefused, PaymentUnknown
from healthcare.service.ports import Position, Standing

T = TypeVar("T")


def _page(items: list[T], limit: int, start: Position) -> tuple[list[T], Position]:
    offset = int((start or {}).get("offset", 0))
    end = offset + limit
    return items[offset:end], ({"offset": end} if end < len(items) else None)


class InMemoryPatients:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Patient] = {}
        self.ssn_index: dict[tuple[str, str], str] = {}  # (tenant, patient) -> blind index
        self.ssn_sealed: dict[tuple[str, str], str] = {}

    def add(self, patient: Patient, *, ssn_sealed: str | None, ssn_index: str | None) -> None:
        if any(
            (p.tenant_id, p.mrn) == (patient.tenant_id, patient.mrn) for p in self.items.values()
        ):
            raise DuplicateMrn(patient.mrn)
        if ssn_index is not None and any(
            k[0] == patient.tenant_id and index == ssn_index for k, index in self.ssn_index.items()
        ):
            raise DuplicateSsn("a patient with this SSN is registered")
        key = (patient.tenant_id, patient.id)
        self.items[key] = patient
        if ssn_index is not None and ssn_sealed is not None:
            self.ssn_index[key], self.ssn_sealed[key] = ssn_index, ssn_sealed

    def get(self, tenant_id: str, patient_id: str) -> Patient:
        try:
            return self.items[(tenant_id, patient_id)]
        except KeyError:
            raise PatientNotFound(patient_id) from None

    def find_by_mrn(self, tenant_id: str, mrn: str) -> str | None:
        return next(
            (p.id for p in self.items.values() if (p.tenant_id, p.mrn) == (tenant_id, mrn)), None
        )

    def ids_by_ssn_index(self, tenant_id: str, ssn_index: str) -> list[str]:
        return [
            pid for (t, pid), idx in self.ssn_index.items() if (t, idx) == (tenant_id, ssn_index)
        ]

    def set_consent(self, tenant_id: str, patient_id: str, consent: Consent) -> None:
        patient = self.get(tenant_id, patient_id)
        self.items[(tenant_id, patient_id)] = dataclasses.replace(patient, consent=consent)

    def set_bank_account(self, tenant_id: str, patient_id: str, account_id: str) -> None:
        patient = self.get(tenant_id, patient_id)
        self.items[(tenant_id, patient_id)] = dataclasses.replace(
            patient, bank_account_id=account_id
        )


class InMemoryProviders:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Provider] = {}

    def add(self, provider: Provider) -> None:
        held = [p for p in self.items.values() if p.tenant_id == provider.tenant_id]
        if any(p.npi == provider.npi for p in held):
            raise DuplicateNpi(provider.npi)
        if any(p.subject == provider.subject for p in held):
            raise DuplicateSubject(provider.subject)
        self.items[(provider.tenant_id, provider.id)] = provider

    def get(self, tenant_id: str, provider_id: str) -> Provider:
        try:
            return self.items[(tenant_id, provider_id)]
        except KeyError:
            raise ProviderNotFound(provider_id) from None

    def find_by_subject(self, tenant_id: str, subject: str) -> Provider | None:
        return next(
            (p for p in self.items.values() if (p.tenant_id, p.subject) == (tenant_id, subject)),
            None,
        )

    def page(
        self, tenant_id: str, *, limit: int, start: Position
    ) -> tuple[list[Provider], Position]:
        mine = sorted(
            (p for p in self.items.values() if p.tenant_id == tenant_id), key=lambda p: p.id
        )
        return _page(mine, limit, start)


class InMemoryCare:
    def __init__(self, patients: InMemoryPatients) -> None:
        self.patients = patients
        self.encounters: dict[tuple[str, str], Encounter] = {}
        self.grants: dict[tuple[str, str, str], BreakGlass] = {}

    def add_encounter(self, encounter: Encounter) -> None:
        self.encounters[(encounter.tenant_id, encounter.id)] = encounter

    def find_encounter(self, tenant_id: str, encounter_id: str) -> Encounter | None:
        return self.encounters.get((tenant_id, encounter_id))

    def related(self, tenant_id: str, patient_id: str, provider_id: str) -> bool:
        return any(
            (e.tenant_id, e.patient_id, e.provider_id) == (tenant_id, patient_id, provider_id)
            for e in self.encounters.values()
        )

    def grant_break_glass(self, grant: BreakGlass) -> None:
        self.grants[(grant.tenant_id, grant.patient_id, grant.provider_id)] = grant

    def break_glass_until(self, tenant_id: str, patient_id: str, provider_id: str) -> str | None:
        grant = self.grants.get((tenant_id, patient_id, provider_id))
        return grant.until if grant else None

    def standing(self, tenant_id: str, patient_id: str, provider_id: str | None) -> Standing:
        patient = self.patients.items.get((tenant_id, patient_id))
        if provider_id is None:
            return Standing(patient)
        return Standing(
            patient,
            related=self.related(tenant_id, patient_id, provider_id),
            break_glass_until=self.break_glass_until(tenant_id, patient_id, provider_id),
        )


class InMemoryRecords:
    def __init__(self, providers: InMemoryProviders) -> None:
        self.items: dict[tuple[str, str], Record] = {}
        self.providers = providers

    def add(self, record: Record) -> None:
        self.items[(record.tenant_id, record.id)] = record

    def get(self, tenant_id: str, record_id: str) -> Record:
        try:
            return self.items[(tenant_id, record_id)]
        except KeyError:
            raise RecordNotFound(record_id) from None

    def get_for(
        self, tenant_id: str, record_id: str, subject: str
    ) -> tuple[Record, Provider | None]:
        return self.get(tenant_id, record_id), self.providers.find_by_subject(tenant_id, subject)

    def of_patient(
        self, tenant_id: str, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Record], Position]:
        chart = [
            r for r in self.items.values() if (r.tenant_id, r.patient_id) == (tenant_id, patient_id)
        ]
        return _page(chart[::-1], limit, start)


class InMemoryDisclosures:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, Disclosure]] = []

    def add(
        self, tenant_id: str, patient_id: str, disclosure: Disclosure, *, audit: Staged
    ) -> None:
        self.items.append((tenant_id, patient_id, disclosure))

    def page(
        self, tenant_id: str, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Disclosure], Position]:
        mine = [d for t, p, d in self.items if (t, p) == (tenant_id, patient_id)]
        return _page(mine[::-1], limit, start)

    def of(self, patient_id: str) -> list[Disclosure]:
        return [d for _, p, d in self.items if p == patient_id]


class InMemoryInvoices:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Invoice] = {}

    def add(self, invoice: Invoice, *, audit: Staged) -> None:
        key = (invoice.tenant_id, invoice.id)
        if key in self.items:
            raise InvoiceExists(invoice.encounter_id)
        self.items[key] = invoice

    def get(self, tenant_id: str, invoice_id: str) -> Invoice:
        try:
            return self.items[(tenant_id, invoice_id)]
        except KeyError:
            raise InvoiceNotFound(invoice_id) from None

    def settle(self, invoice: Invoice, *, audit: Staged, also: Sequence[Staged] = ()) -> bool:
        key = (invoice.tenant_id, invoice.id)
        if self.items[key].status is not InvoiceStatus.PENDING:
            return False
        self.items[key] = invoice
        for item in also:  # committed: what the transaction carried is stored
            item.add_to(None)
        return True

    def pending(self, *, limit: int) -> list[Invoice]:
        return [i for i in self.items.values() if i.status is InvoiceStatus.PENDING][:limit]


class InMemoryClinics:
    def __init__(self, patients: InMemoryPatients) -> None:
        self.items: dict[str, ClinicAccount] = {}
        self.patients = patients

    def find(self, tenant_id: str) -> ClinicAccount | None:
        return self.items.get(tenant_id)

    def bill_to(self, tenant_id: str, patient_id: str) -> tuple[ClinicAccount | None, Patient]:
        return self.items.get(tenant_id), self.patients.get(tenant_id, patient_id)

    def save(self, clinic: ClinicAccount) -> None:
        self.items[clinic.tenant_id] = clinic


class FakeBanking:
    """A keyed charge lands at most once. ``mode``: ``up``, ``down`` (nothing reaches
    banking) or ``lose`` (banking acts, the answer is lost)."""

    def __init__(self) -> None:
        self.mode = "up"
        self.balances: dict[str, int] = {}
        self.mandates: set[str] = set()
        self.owned: set[str] = set()
        self.payments: dict[str, Payment] = {}
        self.calls: list[str] = []

    async def charge(self, charge: Charge) -> Payment:
        key, payer_account_id, amount = charge.key, charge.payer_account_id, charge.amount
        self.calls.append("charge")
        if self.mode == "down":
            raise PaymentUnknown("banking is unreachable")
        if key not in self.payments:
            if payer_account_id not in self.mandates:
                raise PaymentRefused("no-mandate")
            if self.balances.get(payer_account_id, 0) < amount:
                raise PaymentRefused("insufficient-funds")
            self.balances[payer_account_id] -= amount
            self.payments[key] = Payment(f"pay_{len(self.payments)}", "captured")
        if self.mode == "lose":
            raise PaymentUnknown("the answer was lost")
        return self.payments[key]

    async def owns_account(self, account_id: str) -> bool:
        self.calls.append("owns_account")
        if self.mode != "up":
            raise PaymentUnknown("banking is unreachable")
        return account_id in self.owned

    async def aclose(self) -> None:
        return None
