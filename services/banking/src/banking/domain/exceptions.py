"""Banking's business errors. No HTTP here: the API maps them in one table."""

from __future__ import annotations


class BankingError(Exception):
    """Base of every rule the banking domain enforces."""


class InvalidAmount(BankingError):
    pass


class UnknownCurrency(BankingError):
    pass


class CurrencyMismatch(BankingError):
    pass


class AccountNotFound(BankingError):
    """Unknown, in another tenant, or not the caller's: indistinguishable on purpose."""


class TransferNotFound(BankingError):
    pass


class PaymentNotFound(BankingError):
    pass


class AccountNotActive(BankingError):
    """Debits (and credits to a closed account) are refused on frozen or closed accounts."""


class InsufficientFunds(BankingError):
    pass


class DailyLimitExceeded(BankingError):
    pass


class SameAccount(BankingError):
    pass


class RawCardData(BankingError):
    """A raw card number was submitted; only card tokens are accepted."""


class RefundExceedsCapture(BankingError):
    pass


class PaymentNotRefundable(BankingError):
    pass


class IdempotencyKeyRequired(BankingError):
    pass


class IdempotencyKeyReused(BankingError):
    """The key was already used for a different request."""


class NotPermitted(BankingError):
    """The caller's role does not allow this action."""
