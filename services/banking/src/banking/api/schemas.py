"""Request and response bodies. Amounts are strict integers of minor units."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, computed_field

from lift_core.protection.text import NoSensitiveData

from banking.domain.accounts import AccountStatus, AccountType
from banking.domain.fraud import PaymentMethod

Amount = Annotated[StrictInt, Field(gt=0, le=10**12, description="minor units, e.g. cents")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217", examples=["EUR"])]
Reference = Annotated[str, Field(max_length=140), NoSensitiveData]
AccountId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenAccount(
    Strict, json_schema_extra={"examples": [{"type": "checking", "currency": "EUR"}]}
):
    type: AccountType
    currency: Currency
    owner: str | None = Field(default=None, max_length=128, description="tellers and admins only")


class AccountOut(BaseModel):
    id: str
    owner: str
    type: AccountType
    currency: str
    status: AccountStatus
    balance: int
    created_at: str


class BalanceOut(BaseModel):
    account_id: str
    balance: int
    currency: str


class PostTransaction(
    Strict,
    json_schema_extra={
        "examples": [
            {"kind": "deposit", "amount": 10000, "currency": "EUR", "reference": "opening balance"}
        ]
    },
):
    kind: Literal["deposit", "withdrawal"]
    amount: Amount
    currency: Currency
    reference: Reference = ""


class LedgerEntryOut(BaseModel):
    entry_id: str
    amount: int
    currency: str
    kind: str
    reference: str
    created_at: str


class TransactionOut(BaseModel):
    account: AccountOut
    entry: LedgerEntryOut


class GrantMandate(
    Strict, json_schema_extra={"examples": [{"max_amount": 50000, "currency": "EUR"}]}
):
    max_amount: Amount
    currency: Currency


class MandateOut(BaseModel):
    payer_account_id: str
    merchant_account_id: str
    max_amount: int
    currency: str
    active: bool
    created_at: str


class CreateTransfer(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "source_account_id": "acc_3f6c2a9d8e7b4c1a9f0e2d3c4b5a6978",
                "destination_account_id": "acc_8b1e4d7a2c5f4e3b9a6d0c1e2f3a4b5c",
                "amount": 1500,
                "currency": "EUR",
                "reference": "rent share",
            }
        ]
    },
):
    source_account_id: AccountId
    destination_account_id: AccountId
    amount: Amount
    currency: Currency
    reference: Reference = ""


class TransferOut(BaseModel):
    id: str
    source_account_id: str
    destination_account_id: str
    amount: int
    currency: str
    reference: str
    status: str
    created_at: str


class CreatePayment(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "payer_account_id": "acc_3f6c2a9d8e7b4c1a9f0e2d3c4b5a6978",
                "merchant_account_id": "acc_c0ffee00c0ffee00c0ffee00c0ffee00",
                "amount": 2598,
                "currency": "EUR",
                "method": "account",
                "reference": "order ord_1",
            }
        ]
    },
):
    payer_account_id: AccountId
    merchant_account_id: AccountId
    amount: Amount
    currency: Currency
    method: PaymentMethod = PaymentMethod.ACCOUNT
    card_token: str | None = Field(
        default=None, pattern=r"^tok_[A-Za-z0-9]{8,64}$", description="never a card number"
    )
    reference: Reference = ""


class PaymentOrderOut(BaseModel):
    """What the merchant's shop reported of the order this payment paid for, reconciled
    with the ledger (from e-commerce's order events; absent until the shop reports)."""

    order_id: str
    status: str  # CONFIRMED or CANCELLED
    discrepancies: list[str]  # every way the order and the payment disagree
    reported_at: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reconciled(self) -> bool:
        return not self.discrepancies


class PaymentOut(BaseModel):
    id: str
    idempotency_key: str
    payer_account_id: str
    merchant_account_id: str
    amount: int
    currency: str
    method: str
    card_token: str | None
    reference: str
    status: str
    fraud_score: float
    decline_reasons: list[str]
    refunded: int
    created_at: str
    order: PaymentOrderOut | None = None


class CreateRefund(
    Strict, json_schema_extra={"examples": [{"amount": 1299, "reason": "returned one mug"}]}
):
    amount: Amount
    reason: Annotated[str, Field(max_length=140), NoSensitiveData] = ""


class RefundOut(BaseModel):
    id: str
    payment_id: str
    amount: int
    currency: str
    reason: str
    status: str
    created_at: str
