"""The store's settings and its products on DynamoDB.

A product and its ``sku#<SKU>`` claim are written in one transaction, so two products never
share a SKU; stock changes are conditional on the counts that were read.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from lift_core.dynamo import cancelled_by_condition, condition_failed, find_item

from ecommerce.adapters.models import ProductModel, StoreModel
from ecommerce.domain.catalog import Product, ProductStatus
from ecommerce.domain.exceptions import (
    ConcurrentUpdate,
    InventoryBelowReserved,
    ProductNotFound,
    SkuTaken,
)
from ecommerce.domain.pricing import StorePolicy
from ecommerce.service.ports import Position


class DynamoStores:
    def __init__(self, model: type[StoreModel]) -> None:
        self.model = model

    def find(self, tenant_id: str) -> StorePolicy | None:
        item = find_item(self.model, tenant_id, consistent=False)
        return None if item is None else store_of(item)

    def save(self, policy: StorePolicy) -> None:
        self.model(
            policy.tenant_id,
            merchant_account_id=policy.merchant_account_id,
            currency=policy.currency,
            tax_rate_bp=policy.tax_rate_bp,
            shipping_fee=policy.shipping_fee,
            free_shipping_from=policy.free_shipping_from,
        ).save()


class DynamoProducts:
    def __init__(self, model: type[ProductModel], connection: Connection) -> None:
        self.model = model
        self._connection = connection

    def add(self, product: Product) -> None:
        m = self.model
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(
                    m(product.tenant_id, f"sku#{product.sku}"),
                    condition=m.product_id.does_not_exist(),
                )
                tx.save(item_of(m, product), condition=m.product_id.does_not_exist())
        except TransactWriteError as exc:
            if cancelled_by_condition(exc)[:1] == [True]:
                raise SkuTaken(f"SKU {product.sku} is already in use") from exc
            raise

    def get(self, tenant_id: str, product_id: str) -> Product:
        ours = product_id.startswith("prd_")  # an id this service never issued is not read
        item = find_item(self.model, tenant_id, product_id) if ours else None
        if item is None:
            raise ProductNotFound(product_id)
        return product_of(item)

    def get_many(self, tenant_id: str, product_ids: Sequence[str]) -> dict[str, Product]:
        keys = [(tenant_id, p) for p in dict.fromkeys(product_ids) if p.startswith("prd_")]
        return {
            item.product_id: product_of(item)
            for item in self.model.batch_get(keys, consistent_read=True)
        }

    def page(
        self, tenant_id: str, *, category: str | None, limit: int, start: Position
    ) -> tuple[list[Product], Position]:
        m = self.model
        if category:
            result = m.category_index.query(
                f"{tenant_id}#{category}", limit=limit, last_evaluated_key=start
            )
        else:
            result = m.query(
                tenant_id, m.product_id.startswith("prd_"), limit=limit, last_evaluated_key=start
            )
        items = [product_of(item) for item in result]
        return items, result.last_evaluated_key

    def search(
        self, tenant_id: str, needle: str, *, limit: int, start: Position
    ) -> tuple[list[Product], Position]:
        """A filtered query of the tenant's partition, resuming after the last product id of
        the previous page: fine for a catalogue of thousands; a larger one belongs in a
        search index fed from a stream."""
        m = self.model
        after = str((start or {}).get("after", ""))
        ids = m.product_id.between(after, "prd_~") if after else m.product_id.startswith("prd_")
        found: list[Product] = []
        for item in m.query(
            tenant_id,
            ids,
            filter_condition=m.search_text.contains(needle.lower())
            & (m.status == ProductStatus.ACTIVE.value),
        ):
            if item.product_id == after:
                continue
            if len(found) == limit:
                return found, {"after": found[-1].id}
            found.append(product_of(item))
        return found, None

    def update(self, product: Product) -> None:
        m = self.model
        try:
            item_of(m, product).save(
                condition=m.product_id.exists()
                & (m.reserved == product.reserved)
                & (m.quantity == product.quantity)
            )
        except PutError as exc:
            if condition_failed(exc):
                raise ConcurrentUpdate("the product changed meanwhile; read it again") from exc
            raise

    def set_inventory(self, tenant_id: str, product_id: str, quantity: int) -> Product:
        m = self.model
        for _ in range(5):
            current = self.get(tenant_id, product_id)
            if quantity < current.reserved:
                raise InventoryBelowReserved(
                    f"{current.reserved} units are reserved by open orders"
                )
            try:
                m(tenant_id, product_id).update(
                    actions=[
                        m.quantity.set(quantity),
                        m.available.set(quantity - current.reserved),
                    ],
                    condition=m.reserved == current.reserved,
                )
            except UpdateError as exc:
                if condition_failed(exc):
                    continue  # a checkout moved ``reserved``: read again
                raise
            return self.get(tenant_id, product_id)
        raise ConcurrentUpdate("stock kept changing; try again")


def store_of(item: StoreModel) -> StorePolicy:
    return StorePolicy(
        tenant_id=item.tenant_id,
        merchant_account_id=item.merchant_account_id,
        currency=item.currency,
        tax_rate_bp=int(item.tax_rate_bp),
        shipping_fee=int(item.shipping_fee),
        free_shipping_from=(
            int(item.free_shipping_from) if item.free_shipping_from is not None else None
        ),
    )


def item_of(m: type[ProductModel], p: Product) -> ProductModel:
    return m(
        p.tenant_id,
        p.id,
        tenant_category=f"{p.tenant_id}#{p.category}",
        sku=p.sku,
        name=p.name,
        search_text=f"{p.name} {p.sku} {p.description}".lower(),
        description=p.description,
        category=p.category,
        price=p.price,
        currency=p.currency,
        status=p.status.value,
        quantity=p.quantity,
        reserved=p.reserved,
        available=p.available,
        updated_at=p.updated_at,
    )


def product_of(item: ProductModel) -> Product:
    return Product(
        id=item.product_id,
        tenant_id=item.tenant_id,
        sku=item.sku or "",
        name=item.name or "",
        description=item.description or "",
        category=item.category or "",
        price=int(item.price or 0),
        currency=item.currency or "",
        status=ProductStatus(item.status),
        quantity=int(item.quantity),
        reserved=int(item.reserved),
        available=int(item.available),
        updated_at=item.updated_at or "",
    )
