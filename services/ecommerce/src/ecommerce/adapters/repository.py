"""``DynamoShop``: every query and conditional write e-commerce makes.

Stock moves only through conditional updates: a reservation is one transaction over every
line (``available >= n`` on each product) plus the order's own status change, so an order
either holds all of its stock or none, and two checkouts never sell the same unit.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DeleteError,
    DoesNotExist,
    PutError,
    TransactWriteError,
    UpdateError,
)
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ecommerce.adapters.models import (
    CartModel,
    CustomerModel,
    OrderModel,
    ProductModel,
    StoreModel,
)
from ecommerce.domain.catalog import Product, ProductStatus
from ecommerce.domain.exceptions import (
    ConcurrentUpdate,
    CustomerExists,
    CustomerNotFound,
    InvalidTransition,
    InventoryBelowReserved,
    OutOfStock,
    ProductNotFound,
    SkuTaken,
)
from ecommerce.domain.orders import OPEN, Order, OrderStatus
from ecommerce.domain.pricing import Line, StorePolicy, Totals

_CONDITION_FAILED = "ConditionalCheckFailed"


# Where a listing resumes: DynamoDB's LastEvaluatedKey, sealed into the API's opaque cursor
# by lift_core.pagination (so only keys this service wrote ever come back).
Position = dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ShopTables:
    stores: type[StoreModel]
    products: type[ProductModel]
    customers: type[CustomerModel]
    carts: type[CartModel]
    orders: type[OrderModel]

    def all(self) -> list[type[Model]]:
        return [self.stores, self.products, self.customers, self.carts, self.orders]


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    tenant_id: str
    customer_id: str
    bank_account_id: str
    pii: dict[str, str]  # field -> ciphertext
    created_at: str
    erased_at: str | None


@dataclass(frozen=True, slots=True)
class Cart:
    items: dict[str, int]  # product id -> quantity
    version: int | None  # None: never saved


def _failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


def _conflicted(exc: TransactWriteError) -> bool:
    """Another transaction held one of the items (DynamoDB's TransactionConflict): nothing
    was decided, so the same transaction may simply be tried again."""
    return any(r is not None and r.code == "TransactionConflict" for r in exc.cancellation_reasons)


class DynamoShop:
    def __init__(
        self,
        tables: ShopTables,
        *,
        connection: Connection | None = None,
        conflict_attempts: int = 6,
    ) -> None:
        self.t = tables
        meta = tables.products.Meta
        self._connection = connection or Connection(
            region=getattr(meta, "region", None), host=getattr(meta, "host", None)
        )
        self.conflict_attempts = conflict_attempts

    def _transact(self, write: Callable[[TransactWrite], None]) -> None:
        """One DynamoDB transaction, retried with jittered back-off while it only collided
        with another (a popular product reserved by many checkouts at once)."""
        for attempt in range(self.conflict_attempts):
            try:
                with TransactWrite(connection=self._connection) as tx:
                    write(tx)
                return
            except TransactWriteError as exc:
                if not _conflicted(exc):
                    raise
                if attempt == self.conflict_attempts - 1:
                    raise ConcurrentUpdate("too many concurrent changes; try again") from exc
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter

    # -- store --------------------------------------------------------------------------

    def store(self, tenant_id: str) -> StorePolicy | None:
        try:
            item = self.t.stores.get(tenant_id)
        except DoesNotExist:
            return None
        return StorePolicy(
            tenant_id=tenant_id,
            merchant_account_id=item.merchant_account_id,
            currency=item.currency,
            tax_rate_bp=int(item.tax_rate_bp),
            shipping_fee=int(item.shipping_fee),
            free_shipping_from=(
                int(item.free_shipping_from) if item.free_shipping_from is not None else None
            ),
        )

    def save_store(self, policy: StorePolicy) -> None:
        self.t.stores(
            policy.tenant_id,
            merchant_account_id=policy.merchant_account_id,
            currency=policy.currency,
            tax_rate_bp=policy.tax_rate_bp,
            shipping_fee=policy.shipping_fee,
            free_shipping_from=policy.free_shipping_from,
        ).save()

    # -- products -----------------------------------------------------------------------

    def add_product(self, product: Product) -> None:
        products = self.t.products
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(
                    products(product.tenant_id, f"sku#{product.sku}"),
                    condition=products.product_id.does_not_exist(),
                )
                tx.save(self._product_item(product), condition=products.product_id.does_not_exist())
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == _CONDITION_FAILED:
                raise SkuTaken(f"SKU {product.sku} is already in use") from exc
            raise

    def product(self, tenant_id: str, product_id: str) -> Product:
        if not product_id.startswith("prd_"):
            raise ProductNotFound(product_id)
        try:
            item = self.t.products.get(tenant_id, product_id, consistent_read=True)
        except DoesNotExist:
            raise ProductNotFound(product_id) from None
        return _product(item)

    def products(
        self, tenant_id: str, *, category: str | None, limit: int, start: Position
    ) -> tuple[list[Product], Position]:
        products = self.t.products
        if category:
            result = products.category_index.query(
                f"{tenant_id}#{category}", limit=limit, last_evaluated_key=start
            )
        else:
            result = products.query(
                tenant_id,
                products.product_id.startswith("prd_"),
                limit=limit,
                last_evaluated_key=start,
            )
        items = [_product(item) for item in result]
        return items, result.last_evaluated_key

    def search(
        self, tenant_id: str, needle: str, *, limit: int, start: Position
    ) -> tuple[list[Product], Position]:
        """Active products whose name, SKU or description contain ``needle``, a page after
        ``start`` (the last product id of the previous page). A filtered query of the
        tenant's partition: fine for a catalogue of thousands; a larger one belongs in a
        search index fed from a stream."""
        products = self.t.products
        after = str((start or {}).get("after", ""))
        ids = (
            products.product_id.between(after, "prd_~")
            if after
            else products.product_id.startswith("prd_")
        )
        found: list[Product] = []
        for item in products.query(
            tenant_id,
            ids,
            filter_condition=products.search_text.contains(needle.lower())
            & (products.status == ProductStatus.ACTIVE.value),
        ):
            if item.product_id == after:
                continue
            if len(found) == limit:
                return found, {"after": found[-1].id}
            found.append(_product(item))
        return found, None

    def update_product(self, product: Product) -> None:
        try:
            self._product_item(product).save(
                condition=self.t.products.product_id.exists()
                & (self.t.products.reserved == product.reserved)
                & (self.t.products.quantity == product.quantity)
            )
        except PutError as exc:
            if _failed(exc):
                raise ConcurrentUpdate("the product changed meanwhile; read it again") from exc
            raise

    def set_inventory(self, tenant_id: str, product_id: str, quantity: int) -> Product:
        """Set on-hand stock; ``available`` follows, never below what open orders hold."""
        products = self.t.products
        for _ in range(5):
            current = self.product(tenant_id, product_id)
            if quantity < current.reserved:
                raise InventoryBelowReserved(
                    f"{current.reserved} units are reserved by open orders"
                )
            try:
                products(tenant_id, product_id).update(
                    actions=[
                        products.quantity.set(quantity),
                        products.available.set(quantity - current.reserved),
                    ],
                    condition=products.reserved == current.reserved,
                )
            except UpdateError as exc:
                if _failed(exc):
                    continue  # a checkout moved ``reserved``: read again
                raise
            return self.product(tenant_id, product_id)
        raise ConcurrentUpdate("stock kept changing; try again")

    # -- customers ----------------------------------------------------------------------

    def add_customer(self, record: CustomerRecord) -> None:
        try:
            self.t.customers(
                record.tenant_id,
                record.customer_id,
                bank_account_id=record.bank_account_id,
                pii=record.pii,
                created_at=record.created_at,
            ).save(condition=self.t.customers.customer_id.does_not_exist())
        except PutError as exc:
            if _failed(exc):
                raise CustomerExists(record.customer_id) from exc
            raise

    def customer(self, tenant_id: str, customer_id: str) -> CustomerRecord:
        try:
            item = self.t.customers.get(tenant_id, customer_id, consistent_read=True)
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
        customers = self.t.customers
        customers(tenant_id, customer_id).update(
            actions=[customers.pii.set({}), customers.erased_at.set(at)],
            condition=customers.customer_id.exists(),
        )

    # -- carts --------------------------------------------------------------------------

    def cart(self, tenant_id: str, customer_id: str) -> Cart:
        try:
            item = self.t.carts.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            return Cart(items={}, version=None)
        return Cart(items={k: int(v) for k, v in (item.items or {}).items()}, version=item.version)

    def save_cart(self, tenant_id: str, customer_id: str, cart: Cart) -> Cart:
        item = self.t.carts(tenant_id, customer_id, items=cart.items)
        if cart.version is not None:
            item.version = cart.version
        try:
            item.save()  # VersionAttribute: fails if someone saved since we read
        except PutError as exc:
            if _failed(exc):
                raise ConcurrentUpdate("the cart changed meanwhile; read it again") from exc
            raise
        return Cart(items=cart.items, version=item.version)

    def clear_cart(self, tenant_id: str, customer_id: str, version: int | None) -> None:
        """Empty the cart unless it changed since ``version`` (then the customer keeps it)."""
        if version is None:
            return
        item = self.t.carts(tenant_id, customer_id)
        item.version = version
        try:
            item.delete()
        except DeleteError as exc:
            if not _failed(exc):
                raise

    # -- orders -------------------------------------------------------------------------

    def create_order(self, order: Order) -> bool:
        """False when the order already exists (the same Idempotency-Key came back)."""
        try:
            self._order_item(order).save(condition=self.t.orders.order_id.does_not_exist())
        except PutError as exc:
            if _failed(exc):
                return False
            raise
        return True

    def order(self, tenant_id: str, order_id: str) -> Order | None:
        try:
            return _order(self.t.orders.get(tenant_id, order_id, consistent_read=True))
        except DoesNotExist:
            return None

    def orders_of(
        self, tenant_id: str, customer_id: str | None, *, limit: int, start: Position
    ) -> tuple[list[Order], Position]:
        orders = self.t.orders
        if customer_id is None:
            result = orders.query(tenant_id, limit=limit, last_evaluated_key=start)
        else:
            result = orders.customer_index.query(
                f"{tenant_id}#{customer_id}",
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=start,
            )
        return [_order(item) for item in result], result.last_evaluated_key

    def open_orders(self, *, limit: int) -> list[Order]:
        """Orders of every tenant whose checkout has not finished, oldest deadline first."""
        return [
            _order(item)
            for item in self.t.orders.open_index.query("open", limit=limit)
            if (fresh := self.order(item.tenant_id, item.order_id)) is not None
            and fresh.status in OPEN
        ]

    def reserve(self, order: Order, *, at: str) -> None:
        """PENDING → PAYMENT_PENDING holding every line's stock, or nothing at all."""
        products = self.t.products
        lines = list(order.lines)

        def write(tx: TransactWrite) -> None:
            for line in lines:
                tx.update(
                    products(order.tenant_id, line.product_id),
                    actions=[
                        products.available.add(-line.quantity),
                        products.reserved.add(line.quantity),
                    ],
                    condition=(products.available >= line.quantity)
                    & (products.status == ProductStatus.ACTIVE.value),
                )
            self._transition(tx, order, OrderStatus.PAYMENT_PENDING, at=at, keep_open=True)

        try:
            self._transact(write)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            for line, reason in zip(lines, reasons, strict=False):
                if reason is not None and reason.code == _CONDITION_FAILED:
                    raise OutOfStock(f"not enough {line.sku} in stock") from exc
            if len(reasons) > len(lines) and reasons[len(lines)] is not None:
                raise InvalidTransition("the order is no longer pending") from exc
            raise

    def confirm(self, order: Order, payment_id: str, *, at: str) -> None:
        """PAYMENT_PENDING → CONFIRMED: the reserved units are sold."""
        products = self.t.products
        self._apply(
            order,
            OrderStatus.CONFIRMED,
            at=at,
            stock=lambda line: [
                products.reserved.add(-line.quantity),
                products.quantity.add(-line.quantity),
            ],
            payment_id=payment_id,
        )

    def release(self, order: Order, status: OrderStatus, reason: str, *, at: str) -> None:
        """PAYMENT_PENDING → a failed end: the reserved units are available again."""
        products = self.t.products
        self._apply(
            order,
            status,
            at=at,
            stock=lambda line: [
                products.reserved.add(-line.quantity),
                products.available.add(line.quantity),
            ],
            reason=reason,
        )

    def cancel(self, order: Order, refund_id: str, *, at: str) -> None:
        """CONFIRMED → CANCELLED: the sold units go back on the shelf."""
        products = self.t.products
        self._apply(
            order,
            OrderStatus.CANCELLED,
            at=at,
            stock=lambda line: [
                products.quantity.add(line.quantity),
                products.available.add(line.quantity),
            ],
            refund_id=refund_id,
            reason="cancelled by request",
        )

    def set_status(self, order: Order, status: OrderStatus, *, at: str) -> None:
        """A status change that moves no stock (shipping, or the start of a cancellation,
        which re-opens the order for the recovery path until its refund is done)."""
        reopen = status is OrderStatus.CANCELLING
        try:
            self._transact(lambda tx: self._transition(tx, order, status, at=at, reopen=reopen))
        except TransactWriteError as exc:
            raise InvalidTransition("the order changed meanwhile; read it again") from exc

    def fail_unreserved(self, order: Order, reason: str, *, at: str) -> None:
        """PENDING → REJECTED: nothing was reserved, so nothing to give back."""
        try:
            self._transact(
                lambda tx: self._transition(tx, order, OrderStatus.REJECTED, at=at, reason=reason)
            )
        except TransactWriteError as exc:
            raise InvalidTransition("the order is no longer pending") from exc

    # -- internals ----------------------------------------------------------------------

    def _apply(
        self,
        order: Order,
        status: OrderStatus,
        *,
        at: str,
        stock: Callable[[Line], list[Any]],
        payment_id: str | None = None,
        refund_id: str | None = None,
        reason: str = "",
    ) -> None:
        products = self.t.products

        def write(tx: TransactWrite) -> None:
            for line in order.lines:
                tx.update(
                    products(order.tenant_id, line.product_id),
                    actions=stock(line),
                    condition=products.product_id.exists(),
                )
            self._transition(
                tx,
                order,
                status,
                at=at,
                payment_id=payment_id,
                refund_id=refund_id,
                reason=reason,
            )

        try:
            self._transact(write)
        except TransactWriteError as exc:
            raise InvalidTransition(f"the order is no longer {order.status}") from exc

    def _transition(
        self,
        tx: TransactWrite,
        order: Order,
        status: OrderStatus,
        *,
        at: str,
        keep_open: bool = False,
        reopen: bool = False,
        payment_id: str | None = None,
        refund_id: str | None = None,
        reason: str = "",
    ) -> None:
        """The order's status change, conditional on the status the caller read."""
        orders = self.t.orders
        actions: list[Any] = [orders.status.set(status.value), orders.updated_at.set(at)]
        if reopen:
            actions.append(orders.open_marker.set("open"))
        elif not keep_open:
            actions.append(orders.open_marker.remove())
        if payment_id is not None:
            actions.append(orders.payment_id.set(payment_id))
        if refund_id is not None:
            actions.append(orders.refund_id.set(refund_id))
        if reason:
            actions.append(orders.reason.set(reason))
        condition: Condition = orders.status == order.status.value
        tx.update(orders(order.tenant_id, order.id), actions=actions, condition=condition)

    def _product_item(self, p: Product) -> ProductModel:
        return self.t.products(
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

    def _order_item(self, o: Order) -> OrderModel:
        return self.t.orders(
            o.tenant_id,
            o.id,
            customer_key=f"{o.tenant_id}#{o.customer_id}",
            created_at=o.created_at,
            updated_at=o.updated_at,
            reserve_until=o.reserve_until,
            open_marker="open",
            status=o.status.value,
            reason=o.reason,
            body={
                "customer_id": o.customer_id,
                "lines": [
                    {
                        "product_id": line.product_id,
                        "sku": line.sku,
                        "name": line.name,
                        "unit_price": line.unit_price,
                        "quantity": line.quantity,
                    }
                    for line in o.lines
                ],
                "totals": {
                    "subtotal": o.totals.subtotal,
                    "tax": o.totals.tax,
                    "shipping": o.totals.shipping,
                    "total": o.totals.total,
                },
                "currency": o.currency,
                "payer_account_id": o.payer_account_id,
                "merchant_account_id": o.merchant_account_id,
                "ship_to": o.ship_to_sealed,
            },
        )


def _product(item: ProductModel) -> Product:
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


def _order(item: OrderModel) -> Order:
    body = item.body
    return Order(
        id=item.order_id,
        tenant_id=item.tenant_id,
        customer_id=body["customer_id"],
        status=OrderStatus(item.status),
        lines=tuple(Line(**line) for line in body["lines"]),
        totals=Totals(**body["totals"]),
        currency=body["currency"],
        payer_account_id=body["payer_account_id"],
        merchant_account_id=body["merchant_account_id"],
        created_at=item.created_at,
        updated_at=item.updated_at,
        reserve_until=item.reserve_until,
        payment_id=item.payment_id,
        refund_id=item.refund_id,
        reason=item.reason or "",
        ship_to_sealed=body.get("ship_to", ""),
    )
