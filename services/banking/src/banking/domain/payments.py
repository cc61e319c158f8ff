"""Transfers, payments and refunds as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PaymentStatus(StrEnum):
    CAPTURED = "captured"
    DECLINED = "declined"
    REFUNDED = "refunded"  # fully
    PARTIALLY_REFUNDED = "partially_refunded"


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    tenant_id: str
    source_account_id: str
    destination_account_id: str
    amount: int
    currency: str
    reference: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    tenant_id: str
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

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded if self.status != PaymentStatus.DECLINED else 0


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    account_id: str
    entry_id: str
    amount: int  # signed: credits positive, debits negative
    currency: str
    kind: str  # deposit, withdrawal, transfer, payment, refund
    reference: str  # transfer/payment/refund id
    balance_after: int | None
    created_at: str
