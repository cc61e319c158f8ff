"""Banking's DynamoDB tables (PynamoDB models never leave ``adapters/``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from lift_core import LiftSettings
from lift_core.dynamo import bind_model


class OwnerIndex(GlobalSecondaryIndex["AccountModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    tenant_owner = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)


class AccountModel(Model):
    class Meta:
        table_name = "accounts"

    tenant_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)
    tenant_owner = UnicodeAttribute()
    owner = UnicodeAttribute()
    type = UnicodeAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()
    balance = NumberAttribute(default=0)
    debit_day = UnicodeAttribute(default="")
    debited_today = NumberAttribute(default=0)
    # ``Account.recent_payments``. PynamoDB types a list by its element attribute's class;
    # what it holds are the strings.
    recent_payments = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    created_at = UnicodeAttribute()
    owner_index = OwnerIndex()


class LedgerModel(Model):
    """One entry per balance change; newest first by ``entry_id`` (time-ordered)."""

    class Meta:
        table_name = "ledger"

    account_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<account id>"
    entry_id = UnicodeAttribute(range_key=True)
    amount = NumberAttribute()  # signed minor units
    currency = UnicodeAttribute()
    kind = UnicodeAttribute()
    reference = UnicodeAttribute()
    created_at = UnicodeAttribute()


class OperationModel(Model):
    """Transfers, payments and refunds. The id derives from the tenant and the
    Idempotency-Key, so a second submission collides with the first in the same write."""

    class Meta:
        table_name = "operations"

    tenant_id = UnicodeAttribute(hash_key=True)
    op_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # transfer, payment, refund
    fingerprint = UnicodeAttribute()
    created_at = UnicodeAttribute()
    amount = NumberAttribute()
    refunded = NumberAttribute(default=0)
    status = UnicodeAttribute()
    body = JSONAttribute()
    order_status = UnicodeAttribute(null=True)  # a payment: its order's, as the shop reports
    order = JSONAttribute(null=True)  # that report, reconciled (``MerchantOrder.stored``)


@dataclass(frozen=True, slots=True)
class BankTables:
    accounts: type[AccountModel]
    ledger: type[LedgerModel]
    operations: type[OperationModel]

    @classmethod
    def bind(cls, lift: LiftSettings) -> BankTables:
        return cls(
            accounts=bind_model(AccountModel, lift, "banking-accounts"),
            ledger=bind_model(LedgerModel, lift, "banking-ledger"),
            operations=bind_model(OperationModel, lift, "banking-operations"),
        )

    def all(self) -> list[type[Any]]:
        return [self.accounts, self.ledger, self.operations]
