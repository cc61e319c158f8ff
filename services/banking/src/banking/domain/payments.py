"""Transfers, payments and refunds as the domain sees them, read from their operations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from banking.domain.operations import Operation

T = TypeVar("T")


class PaymentStatus(StrEnum):
    CAPTURED = "captured"
    DECLINED = "declined"
    REFUNDED = "refunded"  # fully
    PARTIALLY_REFUNDED = "partially_refunded"


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What a keyed operation returns: the result, and whether this call made it (False:
    a replay of the operation the same key made before)."""

    value: T
    created: bool


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    source_account_id: str
    destination_account_id: str
    amount: int
    currency: str
    reference: str
    status: str
    created_at: str

    @classmethod
    def of(cls, op: Operation) -> Transfer:
        b = op.body
        return cls(
            id=op.op_id,
            source_account_id=b["source_account_id"],
            destination_account_id=b["destination_account_id"],
            amount=op.amount,
            currency=b["currency"],
            reference=b.get("reference", ""),
            status=op.status,
            created_at=op.created_at,
        )


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    idempotency_key: str
    payer_account_id: str
    merchant_account_id: str
    amount: int
    currency: str
    method: str
    card_token: str | None
    status: PaymentStatus
    fraud_score: float
    decline_reasons: tuple[str, ...]
    refunded: int
    reference: str
    created_at: str

    @classmethod
    def of(cls, op: Operation) -> Payment:
        b = op.body
        refunded = int(b.get("refunded", 0))
        return cls(
            id=op.op_id,
            idempotency_key=b["idempotency_key"],
            payer_account_id=b["payer_account_id"],
            merchant_account_id=b["merchant_account_id"],
            amount=op.amount,
            currency=b["currency"],
            method=b["method"],
            card_token=b.get("card_token"),
            status=payment_status(op.status, op.amount, refunded),
            fraud_score=float(b["fraud_score"]),
            decline_reasons=tuple(b.get("decline_reasons", ())),
            refunded=refunded,
            reference=b.get("reference", ""),
            created_at=op.created_at,
        )

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded if self.status != PaymentStatus.DECLINED else 0


def payment_status(recorded: str, amount: int, refunded: int) -> PaymentStatus:
    """A captured payment's status follows what has been refunded of it."""
    if recorded == PaymentStatus.DECLINED.value:
        return PaymentStatus.DECLINED
    if refunded == 0:
        return PaymentStatus.CAPTURED
    return PaymentStatus.REFUNDED if refunded >= amount else PaymentStatus.PARTIALLY_REFUNDED


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    payment_id: str
    amount: int
    currency: str
    reason: str
    status: str
    created_at: str

    @classmethod
    def of(cls, op: Operation) -> Refund:
        b = op.body
        return cls(
            id=op.op_id,
            payment_id=b["payment_id"],
            amount=op.amount,
            currency=b["currency"],
            reason=b.get("reason", ""),
            status=op.status,
            created_at=op.created_at,
        )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    account_id: str
    entry_id: str
    amount: int  # signed: credits positive, debits negative
    currency: str
    kind: str  # deposit, withdrawal, transfer, payment, refund
    reference: str  # transfer/payment/refund id
    created_at: str
