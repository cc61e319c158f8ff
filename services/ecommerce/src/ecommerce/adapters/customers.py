"""Customers (their personal data arrives already sealed) and carts on DynamoDB."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from lift_core.dynamo import condition_failed

from ecommerce.adapters.models import CartModel, CustomerModel
from ecommerce.domain.carts import Cart
from ecommerce.domain.customers import CustomerRecord
from ecommerce.domain.exceptions import ConcurrentUpdate, CustomerExists, CustomerNotFound


class DynamoCustomers:
    def __init__(self, model: type[CustomerModel]) -> None:
        self.model = model

    def add(self, record: CustomerRecord) -> None:
        try:
            self.model(
                record.tenant_id,
                record.customer_id,
                bank_account_id=record.bank_account_id,
                pii=record.pii,
                created_at=record.created_at,
            ).save(condition=self.model.customer_id.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                raise CustomerExists(record.customer_id) from exc
            raise

    def get(self, tenant_id: str, customer_id: str) -> CustomerRecord:
        try:
            item = self.model.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            raise CustomerNotFound(customer_id) from None
        return CustomerRecord(
            tenant_id=tenant_id,
            customer_id=customer_id,
            bank_account_id=item.bank_account_id,
            pii=dict(item.pii or {}),
            created_at=item.created_at,
            erased_at=item.erased_at,
        )

    def mark_erased(self, tenant_id: str, customer_id: str, at: str) -> None:
        m = self.model
        m(tenant_id, customer_id).update(
            actions=[m.pii.set({}), m.erased_at.set(at)], condition=m.customer_id.exists()
        )


class DynamoCarts:
    def __init__(self, model: type[CartModel]) -> None:
        self.model = model

    def get(self, tenant_id: str, customer_id: str) -> Cart:
        try:
            item = self.model.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            return Cart()
        return Cart({k: int(v) for k, v in (item.items or {}).items()}, item.version)

    def save(self, tenant_id: str, customer_id: str, cart: Cart) -> Cart:
        item = self.model(tenant_id, customer_id, items=cart.items)
        if cart.version is not None:
            item.version = cart.version
        try:
            item.save()  # VersionAttribute: fails if someone saved since we read
        except PutError as exc:
            if condition_failed(exc):
                raise ConcurrentUpdate("the cart changed meanwhile; read it again") from exc
            raise
        return Cart(cart.items, item.version)

    def clear(self, tenant_id: str, customer_id: str, version: int | None) -> None:
        if version is None:
            return
        item = self.model(tenant_id, customer_id)
        item.version = version
        try:
            item.delete()
        except DeleteError as exc:
            if not condition_failed(exc):
                raise
