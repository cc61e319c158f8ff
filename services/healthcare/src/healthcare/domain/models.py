"""Patients, providers, encounters, records, invoices (plain data; PHI already opened)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from healthcare.domain.exceptions import InvoiceSettled
from healthcare.domain.payments import Charge


@dataclass(frozen=True, slots=True)
class Consent:
    granted: bool = True
    restricted_providers: tuple[str, ...] = ()
    updated_at: str = ""


@dataclass(frozen=True, slots=True)
class Patient:
    id: str
    tenant_id: str
    mrn: str
    subject: str | None  # the patient's own login, if they have one
    bank_account_id: str | None
    consent: Consent
    created_at: str
    phi: dict[str, str] = field(default_factory=dict)  # field -> ciphertext (SSN excluded)


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    tenant_id: str
    npi: str
    name: str
    kind: str  # clinician or nurse
    subject: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Encounter:
    id: str
    tenant_id: str
    patient_id: str
    provider_id: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    tenant_id: str
    patient_id: str
    author_provider_id: str
    kind: str
    content_sealed: str
    created_at: str


class InvoiceStatus(StrEnum):
    PENDING = "PENDING"  # banking has not confirmed; the retry path will
    PAID = "PAID"
    DECLINED = "DECLINED"


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    tenant_id: str
    encounter_id: str
    patient_id: str
    amount: int
    currency: str
    payer_account_id: str
    merchant_account_id: str
    status: InvoiceStatus
    created_at: str
    updated_at: str
    payment_id: str | None = None
    reason: str = ""

    @property
    def payment_key(self) -> str:
        return f"invoice:{self.id}"

    @property
    def charge(self) -> Charge:
        """The invoice's one payment, asked of banking under the patient's mandate."""
        return Charge(
            self.tenant_id,
            self.payment_key,
            self.payer_account_id,
            self.merchant_account_id,
            self.amount,
            self.currency,
            f"invoice {self.id}",
        )

    def settled(
        self, status: InvoiceStatus, *, at: str, payment_id: str | None, reason: str
    ) -> Invoice:
        """PENDING → PAID or DECLINED, once: a settled invoice never changes again."""
        if self.status is not InvoiceStatus.PENDING or status is InvoiceStatus.PENDING:
            raise InvoiceSettled(f"invoice {self.id} is {self.status}, it cannot become {status}")
        return replace(self, status=status, updated_at=at, payment_id=payment_id, reason=reason)


@dataclass(frozen=True, slots=True)
class ClinicAccount:
    """Where a clinic's invoices are paid: its merchant account in banking."""

    tenant_id: str
    merchant_account_id: str
    currency: str


@dataclass(frozen=True, slots=True)
class BreakGlass:
    """A clinician's time-limited emergency access to one patient's chart."""

    tenant_id: str
    patient_id: str
    provider_id: str
    at: str
    until: str
    reason: str


@dataclass(frozen=True, slots=True)
class Disclosure:
    at: str
    accessor: str
    role: str
    purpose: str
    resource: str
    outcome: str
    reason: str
    emergency: bool
