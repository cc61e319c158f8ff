"""Banking's business errors. No HTTP here: the API maps them in one table."""

from __future__ import annotations


class BankingError(Exception):
    """Base of every rule the banking domain enforces."""


class InvalidAmount(BankingError):
    """The amount must be a positive integer of minor units."""


class UnknownCurrency(BankingError):
    """The currency is not an ISO 4217 code this bank holds."""


class CurrencyMismatch(BankingError):
    """The currency does not match the account's currency."""


class AccountNotFound(BankingError):
    """Unknown, in another tenant, or not the caller's: indistinguishable on purpose."""


class TransferNotFound(BankingError):
    """No such transfer is visible to the caller."""


class PaymentNotFound(BankingError):
    """No such payment is visible to the caller."""


class AccountNotActive(BankingError):
    """Debits (and credits to a closed account) are refused on frozen or closed accounts."""


class InsufficientFunds(BankingError):
    """The account's balance cannot cover the debit."""


class DailyLimitExceeded(BankingError):
    """The debit is over the account's daily limit."""


class SameAccount(BankingError):
    """One account on both sides (a transfer or a payment to itself)."""


class RefundExceedsCapture(BankingError):
    """The refund is larger than what is left to refund."""


class PaymentNotRefundable(BankingError):
    """The payment cannot be refunded (declined or fully refunded)."""


class IdempotencyKeyReused(BankingError):
    """The key was already used for a different request."""


class NotPermitted(BankingError):
    """The caller's role does not allow this action."""
