"""Healthcare business errors. No HTTP here: ``main.ERRORS`` maps them in one table."""

from __future__ import annotations


class HealthcareError(Exception):
    """Base of every rule the healthcare domain enforces."""


class NotPermitted(HealthcareError):
    """The caller's role may not do this at all."""


class AccessDenied(HealthcareError):
    """A PHI access refused by the rules (purpose, relationship, consent, restriction)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"access denied: {reason}")
        self.reason = reason


class PatientNotFound(HealthcareError):
    pass


class ProviderNotFound(HealthcareError):
    pass


class RecordNotFound(HealthcareError):
    pass


class EncounterNotFound(HealthcareError):
    pass


class InvoiceNotFound(HealthcareError):
    pass


class InvalidNpi(HealthcareError):
    pass


class DuplicateMrn(HealthcareError):
    pass


class DuplicateNpi(HealthcareError):
    pass


class ClinicNotConfigured(HealthcareError):
    pass


class InvoiceExists(HealthcareError):
    pass


class PaymentServiceUnavailable(HealthcareError):
    pass
