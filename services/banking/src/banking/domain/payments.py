"""Transfers, payments and refunds as the domain sees them, read from their operations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

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
    order: MerchantOrder | None = None  # what the merchant's shop reported of its order

    @classmethod
    def of(cls, op: Operation) -> Payment:
        b = op.body
        refunded = int(b.get("refunded", 0))
        order = b.get("order")
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
            order=MerchantOrder.of(order) if order else None,
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


class OrderStatus(StrEnum):
    """The states of a shop's order that it reports to the bank (``order.*`` events)."""

    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"  # final: the order was cancelled and its payment refunded


@dataclass(frozen=True, slots=True)
class OrderReport:
    """What a shop reports of the order a payment paid for (e-commerce's ``order.confirmed``
    and ``order.cancelled``)."""

    tenant_id: str
    payment_id: str
    order_id: str
    status: OrderStatus
    total: int
    currency: str


@dataclass(frozen=True, slots=True)
class MerchantOrder:
    """A payment reconciled with the order it paid for: ``discrepancies`` names every way
    the two disagree (none: the merchant's books and the ledger match)."""

    order_id: str
    status: OrderStatus
    discrepancies: tuple[str, ...]
    reported_at: str

    @property
    def reconciled(self) -> bool:
        return not self.discrepancies

    @classmethod
    def of(cls, stored: dict[str, Any]) -> MerchantOrder:
        return cls(
            order_id=stored["order_id"],
            status=OrderStatus(stored["status"]),
            discrepancies=tuple(stored["discrepancies"]),
            reported_at=stored["reported_at"],
        )

    def stored(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "status": self.status.value,
            "discrepancies": list(self.discrepancies),
            "reported_at": self.reported_at,
        }

    def supersedes(self, older: MerchantOrder | None) -> bool:
        """A report replaces an older one only when it moves the order on: a cancellation
        after a confirmation, never the reverse (a late ``order.confirmed`` changes nothing)."""
        if older is None:
            return True
        return older.status is OrderStatus.CONFIRMED and self.status is OrderStatus.CANCELLED


def reconcile(payment: Payment, report: OrderReport, *, at: str) -> MerchantOrder:
    """Compare what the shop says it sold (or took back) with what the ledger moved."""
    found = []
    if report.currency != payment.currency:
        found.append(f"the order is in {report.currency}, the payment in {payment.currency}")
    if report.total != payment.amount:
        found.append(f"the order totals {report.total}, the payment captured {payment.amount}")
    if payment.status is PaymentStatus.DECLINED:
        found.append("the payment was declined")
    elif report.status is OrderStatus.CANCELLED and payment.refunded < payment.amount:
        found.append(f"the order was cancelled, {payment.refundable} of the payment not refunded")
    return MerchantOrder(report.order_id, report.status, tuple(found), at)


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
