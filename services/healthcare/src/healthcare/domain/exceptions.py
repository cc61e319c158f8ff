"""Healthcare business errors. No HTTP here: ``main.ERRORS`` maps them in one table."""

from __future__ import annotations


class HealthcareError(Exception):
    """Base of every rule the healthcare domain enforces."""


class NotPermitted(HealthcareError):
    """The caller's role may not do this at all."""


class AccessDenied(HealthcareError):
    """A PHI access refused by the rules: the purpose must fit the caller's role; a clinician
    or nurse needs a care relationship with the patient, which an encounter creates (POST
    /api/v1/encounters, admins); the patient's consent must stand and not restrict them. In
    an emergency a clinician may break the glass (POST /api/v1/patients/{id}/break-glass)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"access denied: {reason}")
        self.reason = reason
        # The reasons are the access rules' own constants (domain.access), safe to show.
        self.public_detail = f"Access denied: {reason}."


class PatientNotFound(HealthcareError):
    """No such patient is visible to the caller."""


class BankAccountNotFound(HealthcareError):
    """The bank account is unknown or not the caller's."""


class ProviderNotFound(HealthcareError):
    """No such provider is visible to the caller."""


class RecordNotFound(HealthcareError):
    """No such record is visible to the caller."""


class EncounterNotFound(HealthcareError):
    """No such encounter is visible to the caller."""


class InvoiceNotFound(HealthcareError):
    """No such invoice is visible to the caller."""


class InvalidNpi(HealthcareError):
    """The NPI fails its check digit."""


class DuplicateMrn(HealthcareError):
    """Another patient already has this MRN."""


class DuplicateSsn(HealthcareError):
    """A patient with this SSN is already registered: find them with the SSN search (admins)
    instead of registering them twice."""


class DuplicateNpi(HealthcareError):
    """Another provider already has this NPI."""


class ClinicNotConfigured(HealthcareError):
    """The tenant has no clinic settings (merchant account, currency) yet."""


class InvoiceExists(HealthcareError):
    """The encounter is already invoiced."""


class InvoiceSettled(HealthcareError):
    """A settled (paid or declined) invoice cannot be settled again."""


class PaymentServiceUnavailable(HealthcareError):
    """Banking did not answer; the operation can be retried later."""
