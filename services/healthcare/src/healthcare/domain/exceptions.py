"""Healthcare business errors. No HTTP here: ``main.ERRORS`` maps them in one table."""

from __future__ import annotations


class HealthcareError(Exception):
    """Base of every rule the healthcare domain enforces."""


class NotPermitted(HealthcareError):
    """The caller's role may not do this at all."""


class AccessDenied(HealthcareError):
    """A PHI access refused by the rules (purpose, relationship, consent, restriction).

    Its detail is the rule's reason (``domain.access``), which says what would allow it."""

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
    """A patient with this SSN is already registered; the SSN search (admins) finds them."""


class DuplicateNpi(HealthcareError):
    """Another provider already has this NPI."""


class DuplicateSubject(HealthcareError):
    """Another provider already signs in as this subject: one login is one provider, so an
    access decision never has two providers to choose from."""


class ClinicNotConfigured(HealthcareError):
    """The tenant has no clinic settings (merchant account, currency) yet."""


class InvoiceExists(HealthcareError):
    """The encounter is already invoiced."""


class InvoiceSettled(HealthcareError):
    """A settled (paid or declined) invoice cannot be settled again."""


class PaymentServiceUnavailable(HealthcareError):
    """Banking did not answer; the operation can be retried later."""
