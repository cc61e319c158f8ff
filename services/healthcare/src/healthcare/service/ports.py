"""What healthcare's use cases need of the world: one port per aggregate, the accounting of
disclosures, and the payment gateway (healthcare's own view of banking). ``adapters/``
implements them on DynamoDB and banking's HTTP API; the unit tests in memory.

Not-found rule: ``get`` raises the domain's not-found error, ``find`` returns None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lift_core.audit import Staged

from healthcare.domain.models import (
    BreakGlass,
    ClinicAccount,
    Consent,
    Disclosure,
    Encounter,
    Invoice,
    Patient,
    Provider,
    Record,
)
from healthcare.domain.payments import Charge, Payment

# Where a listing resumes: the storage's own position (DynamoDB's LastEvaluatedKey), sealed
# into the API's opaque cursor by lift_core.pagination. None: the first or no further page.
Position = dict[str, Any] | None


class PatientRepository(Protocol):
    def add(self, patient: Patient, *, ssn_sealed: str | None, ssn_index: str | None) -> None:
        """Raises ``DuplicateMrn`` when the tenant has a patient with this MRN, and
        ``DuplicateSsn`` when one has this SSN (``ssn_index``, its blind index)."""
        ...

    def get(self, tenant_id: str, patient_id: str) -> Patient:
        """Raises ``PatientNotFound``."""
        ...

    def find_by_mrn(self, tenant_id: str, mrn: str) -> str | None: ...

    def ids_by_ssn_index(self, tenant_id: str, ssn_index: str) -> list[str]: ...

    def set_consent(self, tenant_id: str, patient_id: str, consent: Consent) -> None: ...

    def set_bank_account(self, tenant_id: str, patient_id: str, account_id: str) -> None: ...


class ProviderRepository(Protocol):
    def add(self, provider: Provider) -> None:
        """Raises ``DuplicateNpi`` or ``DuplicateSubject``."""
        ...

    def get(self, tenant_id: str, provider_id: str) -> Provider:
        """Raises ``ProviderNotFound``."""
        ...

    def find_by_subject(self, tenant_id: str, subject: str) -> Provider | None: ...

    def page(
        self, tenant_id: str, *, limit: int, start: Position
    ) -> tuple[list[Provider], Position]:
        """The tenant's providers in id order."""
        ...


@dataclass(frozen=True, slots=True)
class Standing:
    """What an access decision reads about one patient for one caller."""

    patient: Patient | None
    related: bool = False
    break_glass_until: str | None = None  # ISO time


class CareRepository(Protocol):
    """Encounters, the care relationships they create, and break-glass grants."""

    def add_encounter(self, encounter: Encounter) -> None: ...

    def find_encounter(self, tenant_id: str, encounter_id: str) -> Encounter | None: ...

    def grant_break_glass(self, grant: BreakGlass) -> None: ...

    def standing(self, tenant_id: str, patient_id: str, provider_id: str | None) -> Standing:
        """The patient and, for a provider, their care relationship and when the
        provider's latest break-glass grant on them ends: in one round trip."""
        ...


class RecordRepository(Protocol):
    def add(self, record: Record) -> None: ...

    def get(self, tenant_id: str, record_id: str) -> Record:
        """Raises ``RecordNotFound``."""
        ...

    def get_for(
        self, tenant_id: str, record_id: str, subject: str
    ) -> tuple[Record, Provider | None]:
        """The record and the provider ``subject`` signs in as (None: no provider), in one
        round trip; raises ``RecordNotFound``."""
        ...

    def of_patient(
        self, tenant_id: str, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Record], Position]:
        """Newest first."""
        ...


class DisclosureLog(Protocol):
    """The patient's accounting of disclosures (HIPAA 164.528): append-only."""

    def add(
        self, tenant_id: str, patient_id: str, disclosure: Disclosure, *, audit: Staged
    ) -> None:
        """Append the disclosure and its audit event in one atomic write."""
        ...

    def page(
        self, tenant_id: str, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Disclosure], Position]:
        """Newest first."""
        ...


class InvoiceRepository(Protocol):
    """Each write stores the audit event that records it in the same transaction."""

    def add(self, invoice: Invoice, *, audit: Staged) -> None:
        """Raises ``InvoiceExists`` (one invoice per encounter)."""
        ...

    def get(self, tenant_id: str, invoice_id: str) -> Invoice:
        """Raises ``InvoiceNotFound``."""
        ...

    def settle(self, invoice: Invoice, *, audit: Staged, also: Sequence[Staged] = ()) -> bool:
        """Store a settled invoice if it is still PENDING; False if another settled it."""
        ...

    def pending(self, *, limit: int) -> list[Invoice]:
        """Invoices of every tenant still waiting for banking."""
        ...


class ClinicRepository(Protocol):
    def find(self, tenant_id: str) -> ClinicAccount | None: ...

    def bill_to(self, tenant_id: str, patient_id: str) -> tuple[ClinicAccount | None, Patient]:
        """The clinic's account (None: not configured) and the patient it bills, in one
        round trip; raises ``PatientNotFound``."""
        ...

    def save(self, clinic: ClinicAccount) -> None: ...


class PaymentGateway(Protocol):
    """Charges under the mandate a patient granted the clinic's merchant account. Keyed: a
    charge repeated with its key lands at most once, so asking again is always safe."""

    async def charge(self, charge: Charge) -> Payment:
        """Captured or declined; raises ``PaymentRefused`` or ``PaymentUnknown``."""
        ...

    async def owns_account(self, account_id: str) -> bool:
        """Whether the *caller* (whose token is forwarded) holds this bank account."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Storage:
    patients: PatientRepository
    providers: ProviderRepository
    care: CareRepository
    records: RecordRepository
    disclosures: DisclosureLog
    invoices: InvoiceRepository
    clinics: ClinicRepository
