"""Operations: the record every money movement (and mandate) leaves, and how it commits.

An operation's id derives from the caller and the Idempotency-Key, so the operation record
claimed in the movement's transaction is also the route's idempotency record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from banking.domain.accounts import Account


@dataclass(frozen=True, slots=True)
class Movement:
    account: Account  # as read just before; the write re-checks everything it relies on
    delta: int  # signed minor units
    kind: str
    reference: str
    daily_limit: int | None = None  # applied to debits when set


@dataclass(frozen=True, slots=True)
class PaymentMark:
    """A payment (captured or declined) joins its payer's ``recent_payments``, in the
    payment's own write: the velocity rule then reads it with the accounts, in one round
    trip, instead of counting the payer's history."""

    payer: Account  # as read just before; the write is refused if its memory moved on
    at: str
    since: str  # the start of the velocity window
    keep: int  # the velocity limit

    def recent(self) -> tuple[str, ...]:
        return self.payer.paid_at(self.at, since=self.since, keep=self.keep).recent_payments


@dataclass(frozen=True, slots=True)
class Operation:
    tenant_id: str
    op_id: str
    kind: str  # transfer, payment, refund, deposit, withdrawal, mandate
    fingerprint: str
    amount: int
    status: str
    created_at: str
    body: dict[str, Any]
    first_to_payee: bool = False  # a payment: the payer never paid this payee before


@dataclass(frozen=True, slots=True)
class RefundClaim:
    """Raise a payment's refunded total, never past what was captured."""

    tenant_id: str
    payment_id: str
    amount: int
    captured: int


class StaleRead(Exception):
    """A condition failed only because the state read before the write moved on."""


class DuplicateOperation(Exception):
    """The operation id exists: the same Idempotency-Key was used before."""
