"""Customers (their personal data arrives already sealed) and carts on DynamoDB, and the
one read a checkout starts from (store, customer and cart in one batch)."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, PutError

from lift_core.dynamo import condition_failed, find_item, get_items

from ecommerce.adapters.catalog import product_of, store_of
from ecommerce.adapters.models import CartModel, CustomerModel, ProductModel, StoreModel
from ecommerce.domain.carts import Cart
from ecommerce.domain.catalog import Product
from ecommerce.domain.customers import CustomerRecord
from ecommerce.domain.exceptions import ConcurrentUpdate, CustomerExists, CustomerNotFound
from ecommerce.service.ports import Basket


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
        item = find_item(self.model, tenant_id, customer_id)
        if item is None:
            raise CustomerNotFound(customer_id)
        return customer_of(item)

    def mark_erased(self, tenant_id: str, customer_id: str, at: str) -> None:
        m = self.model
        m(tenant_id, customer_id).update(
            actions=[m.pii.set({}), m.erased_at.set(at)], condition=m.customer_id.exists()
        )


class DynamoCarts:
    def __init__(self, model: type[CartModel]) -> None:
        self.model = model

    def get(self, tenant_id: str, customer_id: str) -> Cart:
        item = find_item(self.model, tenant_id, customer_id)
        return Cart() if item is None else cart_of(item)

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


class DynamoBaskets:
    def __init__(
        self,
        stores: type[StoreModel],
        customers: type[CustomerModel],
        carts: type[CartModel],
        products: type[ProductModel],
    ) -> None:
        self.stores, self.customers, self.carts = stores, customers, carts
        self.products = products

    def cart_and_product(
        self, tenant_id: str, customer_id: str, product_id: str
    ) -> tuple[Cart, Product | None]:
        cart, product = get_items(
            [(self.carts, tenant_id, customer_id), (self.products, tenant_id, product_id)]
        )
        return (
            cart_of(cart) if cart is not None else Cart(),
            product_of(product) if product is not None else None,
        )

    def basket(self, tenant_id: str, customer_id: str) -> Basket:
        store, customer, cart = get_items(
            [
                (self.stores, tenant_id, None),
                (self.customers, tenant_id, customer_id),
                (self.carts, tenant_id, customer_id),
            ]
        )
        return Basket(
            store=store_of(store) if store is not None else None,
            customer=customer_of(customer) if customer is not None else None,
            cart=cart_of(cart) if cart is not None else Cart(),
        )


def customer_of(item: CustomerModel) -> CustomerRecord:
    return CustomerRecord(
        tenant_id=item.tenant_id,
        customer_id=item.customer_id,
        bank_account_id=item.bank_account_id,
        pii=dict(item.pii or {}),
        created_at=item.created_at,
        erased_at=item.erased_at,
    )


def cart_of(item: CartModel) -> Cart:
    return Cart({k: int(v) for k, v in (item.items or {}).items()}, item.version)
