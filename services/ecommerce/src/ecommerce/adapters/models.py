"""E-commerce's DynamoDB tables (PynamoDB models never leave ``adapters/``)."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from lift_core import LiftSettings
from lift_core.dynamo import bind_model, transaction_connection


class StoreModel(Model):
    class Meta:
        table_name = "stores"

    tenant_id = UnicodeAttribute(hash_key=True)
    merchant_account_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    tax_rate_bp = NumberAttribute()
    shipping_fee = NumberAttribute()
    free_shipping_from = NumberAttribute(null=True)


class CategoryIndex(GlobalSecondaryIndex["ProductModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "category-index"
        projection = AllProjection()

    tenant_category = UnicodeAttribute(hash_key=True)  # "<tenant>#<category>"
    product_id = UnicodeAttribute(range_key=True)


class ProductModel(Model):
    """Products (``prd_…``) and, in the same partition, one ``sku#<SKU>`` claim per SKU so
    that two products can never share one (both written in one transaction)."""

    class Meta:
        table_name = "products"

    tenant_id = UnicodeAttribute(hash_key=True)
    product_id = UnicodeAttribute(range_key=True)
    tenant_category = UnicodeAttribute(null=True)
    sku = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    search_text = UnicodeAttribute(null=True)  # lower-cased name, SKU and description
    description = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    price = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    quantity = NumberAttribute(default=0)
    reserved = NumberAttribute(default=0)
    available = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
    category_index = CategoryIndex()


class CustomerModel(Model):
    class Meta:
        table_name = "customers"

    tenant_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    bank_account_id = UnicodeAttribute()
    pii = JSONAttribute()  # field -> ciphertext under the customer's data key
    created_at = UnicodeAttribute()
    erased_at = UnicodeAttribute(null=True)


class CartModel(Model):
    class Meta:
        table_name = "carts"

    tenant_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    items = JSONAttribute(default=dict)  # product id -> quantity
    version = VersionAttribute()


class CustomerOrdersIndex(GlobalSecondaryIndex["OrderModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "customer-index"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<customer>"
    created_at = UnicodeAttribute(range_key=True)


class OpenOrdersIndex(GlobalSecondaryIndex["OrderModel"]):  # type: ignore[no-untyped-call]
    """Sparse: only orders whose checkout has not finished carry ``open_marker``."""

    class Meta:
        index_name = "open-index"
        projection = AllProjection()

    open_marker = UnicodeAttribute(hash_key=True)
    reserve_until = UnicodeAttribute(range_key=True)


class OrderModel(Model):
    class Meta:
        table_name = "orders"

    tenant_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)
    customer_key = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    reserve_until = UnicodeAttribute()
    open_marker = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    reason = UnicodeAttribute(default="")
    payment_id = UnicodeAttribute(null=True)
    refund_id = UnicodeAttribute(null=True)
    body = JSONAttribute()  # lines, totals, currency, accounts
    customer_index = CustomerOrdersIndex()
    open_index = OpenOrdersIndex()


@dataclass(frozen=True, slots=True)
class ShopTables:
    stores: type[StoreModel]
    products: type[ProductModel]
    customers: type[CustomerModel]
    carts: type[CartModel]
    orders: type[OrderModel]

    @classmethod
    def bind(cls, lift: LiftSettings) -> ShopTables:
        return cls(
            stores=bind_model(StoreModel, lift, "ecommerce-stores"),
            products=bind_model(ProductModel, lift, "ecommerce-products"),
            customers=bind_model(CustomerModel, lift, "ecommerce-customers"),
            carts=bind_model(CartModel, lift, "ecommerce-carts"),
            orders=bind_model(OrderModel, lift, "ecommerce-orders"),
        )

    def connection(self) -> Connection:
        """One low-level connection for the transactions, at the tables' endpoint."""
        return transaction_connection(self.products)

    def all(self) -> list[type[Model]]:
        return [self.stores, self.products, self.customers, self.carts, self.orders]
