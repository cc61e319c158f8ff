"""Operations and mandates on DynamoDB (``banking-operations``)."""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.connection import Connection

from lift_core.audit import Staged
from lift_core.dynamo import find_item, update_within

from banking.adapters.models import OperationModel
from banking.domain.mandates import Mandate, mandate_id
from banking.domain.operations import Operation
from banking.domain.payments import MerchantOrder


class DynamoOperations:
    def __init__(self, model: type[OperationModel], connection: Connection) -> None:
        self.model = model
        self._connection = connection  # for transactions: made once, its client reused

    def find(self, tenant_id: str, op_id: str) -> Operation | None:
        item = find_item(self.model, tenant_id, op_id)
        return None if item is None else operation_of(item)

    def note_order(
        self,
        tenant_id: str,
        payment_id: str,
        order: MerchantOrder,
        *,
        previous: MerchantOrder | None,
        audit: Staged,
        also: Sequence[Staged] = (),
    ) -> bool:
        m = self.model
        held = (
            m.order_status.does_not_exist()
            if previous is None
            else m.order_status == previous.status.value
        )
        return update_within(
            self._connection,
            m(tenant_id, payment_id),
            actions=[m.order_status.set(order.status.value), m.order.set(order.stored())],
            condition=(m.kind == "payment") & held,
            staged=(audit, *also),
        )

    def has_paid(self, tenant_id: str, payer_account_id: str, merchant_account_id: str) -> bool:
        """One read of the marker the first captured payment to this payee left (``paid``),
        whatever the payer's history holds."""
        marker = paid_id(payer_account_id, merchant_account_id)
        return find_item(self.model, tenant_id, marker, consistent=False) is not None

    def paid(self, op: Operation) -> OperationModel | None:
        """For the payer's first captured payment to this payee, the marker ``has_paid``
        reads, written in the payment's own transaction."""
        if op.kind != "payment" or op.status != "captured" or not op.first_to_payee:
            return None
        payer, merchant = op.body["payer_account_id"], op.body["merchant_account_id"]
        return self.model(
            op.tenant_id,
            paid_id(payer, merchant),
            kind="paid",
            fingerprint="",
            created_at=op.created_at,
            amount=0,
            status="paid",
            body={"payer_account_id": payer, "merchant_account_id": merchant},
        )

    # Mandates are kept with the operations: one more item kind, no new table.

    def save_mandate(self, mandate: Mandate) -> None:
        self.model(
            mandate.tenant_id,
            mandate_id(mandate.payer_account_id, mandate.merchant_account_id),
            kind="mandate",
            fingerprint="",
            created_at=mandate.created_at,
            amount=mandate.max_amount,
            status="active" if mandate.active else "revoked",
            body={
                "payer_account_id": mandate.payer_account_id,
                "merchant_account_id": mandate.merchant_account_id,
                "currency": mandate.currency,
            },
        ).save()

    def find_mandate(
        self, tenant_id: str, payer_account_id: str, merchant_account_id: str
    ) -> Mandate | None:
        return mandate_of(self.find(tenant_id, mandate_id(payer_account_id, merchant_account_id)))

    def item(self, op: Operation) -> OperationModel:
        return self.model(
            op.tenant_id,
            op.op_id,
            kind=op.kind,
            fingerprint=op.fingerprint,
            created_at=op.created_at,
            amount=op.amount,
            refunded=0,
            status=op.status,
            body=op.body,
        )


def operation_of(item: OperationModel) -> Operation:
    return Operation(
        tenant_id=item.tenant_id,
        op_id=item.op_id,
        kind=item.kind,
        fingerprint=item.fingerprint,
        amount=int(item.amount),
        status=item.status,
        created_at=item.created_at,
        body={
            **item.body,
            "refunded": int(item.refunded),
            **({"order": item.order} if item.order else {}),
        },
    )


def mandate_of(op: Operation | None) -> Mandate | None:
    if op is None or op.kind != "mandate":
        return None
    return Mandate(
        tenant_id=op.tenant_id,
        payer_account_id=op.body["payer_account_id"],
        merchant_account_id=op.body["merchant_account_id"],
        max_amount=op.amount,
        currency=op.body["currency"],
        active=op.status == "active",
        created_at=op.created_at,
    )


def paid_id(payer_account_id: str, merchant_account_id: str) -> str:
    return f"paid_{payer_account_id}_{merchant_account_id}"
