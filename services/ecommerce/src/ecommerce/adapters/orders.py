"""Orders on DynamoDB, and the one write every order transition makes.

``place`` and ``apply`` turn a domain ``Transition`` into a single transaction: the new
order, or the order's status change conditional on the status that was read, plus each
line's stock move (a reservation conditional on ``available >= n`` for every line) and the
audit event that records it. So an order holds all of its stock or none, two checkouts
never sell the same unit, and no order changes without its audit event.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from lift_core.audit import Staged
from lift_core.dynamo import cancelled_by_condition, find_item, transaction_conflicted

from ecommerce.adapters.models import OrderModel, ProductModel
from ecommerce.domain.catalog import ProductStatus
from ecommerce.domain.exceptions import ConcurrentUpdate, InvalidTransition, OutOfStock
from ecommerce.domain.orders import Order, OrderStatus, Stock, Transition
from ecommerce.domain.pricing import Line, Totals
from ecommerce.service.ports import Position


class DynamoOrders:
    def __init__(
        self,
        model: type[OrderModel],
        products: type[ProductModel],
        connection: Connection,
        *,
        conflict_attempts: int = 6,
    ) -> None:
        self.model = model
        self.products = products
        self._connection = connection
        self.conflict_attempts = conflict_attempts

    def add(self, order: Order, *, audit: Staged | None = None) -> bool:
        return self._create(order, [], Stock.KEEP, audit)

    def place(self, transition: Transition, *, audit: Staged | None = None) -> bool:
        return self._create(transition.after, list(transition.after.lines), transition.stock, audit)

    def find(self, tenant_id: str, order_id: str) -> Order | None:
        item = find_item(self.model, tenant_id, order_id)
        return None if item is None else order_of(item)

    def page(
        self, tenant_id: str, customer_id: str | None, *, limit: int, start: Position
    ) -> tuple[list[Order], Position]:
        m = self.model
        if customer_id is None:
            result = m.query(tenant_id, limit=limit, last_evaluated_key=start)
        else:
            result = m.customer_index.query(
                f"{tenant_id}#{customer_id}",
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=start,
            )
        return [order_of(item) for item in result], result.last_evaluated_key

    def open(self, *, limit: int) -> list[Order]:
        """Oldest reservation deadline first, each read again (the index is eventual)."""
        return [
            fresh
            for item in self.model.open_index.query("open", limit=limit)
            if (fresh := self.find(item.tenant_id, item.order_id)) is not None and fresh.is_open
        ]

    def apply(
        self,
        transition: Transition,
        *,
        audit: Staged | None = None,
        also: Sequence[Staged] = (),
    ) -> None:
        order = transition.after
        lines = list(order.lines)

        def write(tx: TransactWrite) -> None:
            for line in lines:
                self._move_stock(tx, order.tenant_id, line, transition.stock)
            tx.update(
                self.model(order.tenant_id, order.id),
                actions=self._status_actions(order),
                condition=self.model.status == transition.before.value,
            )
            for item in (audit, *also) if audit is not None else also:
                item.add_to(tx)

        try:
            self._transact(write)
        except TransactWriteError as exc:
            if audit is not None and audit.lost_race():
                raise  # another writer took the audit chain's head: the log tries again
            # PynamoDB sends puts (the audit event, ``also``) before updates (the lines).
            puts = (1 if audit is not None else 0) + len(also)
            self._out_of_stock(cancelled_by_condition(exc)[puts:], lines, transition.stock)
            raise InvalidTransition(f"the order is no longer {transition.before}") from exc

    def _create(self, order: Order, lines: list[Line], stock: Stock, audit: Staged | None) -> bool:
        """The order written new (its id not taken), each line's stock moved, and the audit
        event, in one transaction; False when the id is taken (a replay)."""

        def write(tx: TransactWrite) -> None:
            for line in lines:
                self._move_stock(tx, order.tenant_id, line, stock)
            tx.save(item_of(self.model, order), condition=self.model.order_id.does_not_exist())
            if audit is not None:
                audit.add_to(tx)

        try:
            self._transact(write)
        except TransactWriteError as exc:
            if audit is not None and audit.lost_race():
                raise
            # PynamoDB sends puts (the order, then the audit event) before updates (lines).
            failed = cancelled_by_condition(exc)
            if failed[:1] == [True]:
                return False
            self._out_of_stock(failed[1 if audit is None else 2 :], lines, stock)
            raise
        return True

    @staticmethod
    def _out_of_stock(refused: list[bool], lines: list[Line], stock: Stock) -> None:
        """Raise ``OutOfStock`` if a line's reservation (``refused``: each line's condition
        failed, in order) is what cancelled the transaction."""
        if stock is Stock.RESERVE:
            for line, failed in zip(lines, refused, strict=False):
                if failed:
                    raise OutOfStock(f"not enough {line.sku} in stock")

    def _move_stock(self, tx: TransactWrite, tenant_id: str, line: Line, stock: Stock) -> None:
        p, n = self.products, line.quantity
        if stock is Stock.KEEP:
            return
        if stock is Stock.RESERVE:
            tx.update(
                p(tenant_id, line.product_id),
                actions=[p.available.add(-n), p.reserved.add(n)],
                condition=(p.available >= n) & (p.status == ProductStatus.ACTIVE.value),
            )
            return
        actions: list[Any] = {
            Stock.SELL: [p.reserved.add(-n), p.quantity.add(-n)],
            Stock.RELEASE: [p.reserved.add(-n), p.available.add(n)],
            Stock.RESTOCK: [p.quantity.add(n), p.available.add(n)],
        }[stock]
        tx.update(p(tenant_id, line.product_id), actions=actions, condition=p.product_id.exists())

    def _status_actions(self, order: Order) -> list[Any]:
        m = self.model
        actions: list[Any] = [m.status.set(order.status.value), m.updated_at.set(order.updated_at)]
        # The sparse open index holds exactly the orders recovery must finish.
        actions.append(m.open_marker.set("open") if order.is_open else m.open_marker.remove())
        if order.payment_id is not None:
            actions.append(m.payment_id.set(order.payment_id))
        if order.refund_id is not None:
            actions.append(m.refund_id.set(order.refund_id))
        if order.reason:
            actions.append(m.reason.set(order.reason))
        return actions

    def _transact(self, write: Any) -> None:
        """One transaction, retried with jittered back-off while it only collided with
        another (a popular product reserved by many checkouts at once)."""
        for attempt in range(self.conflict_attempts):
            try:
                with TransactWrite(connection=self._connection) as tx:
                    write(tx)
                return
            except TransactWriteError as exc:
                if not transaction_conflicted(exc):
                    raise
                if attempt == self.conflict_attempts - 1:
                    raise ConcurrentUpdate("too many concurrent changes; try again") from exc
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter


def item_of(m: type[OrderModel], o: Order) -> OrderModel:
    return m(
        o.tenant_id,
        o.id,
        customer_key=f"{o.tenant_id}#{o.customer_id}",
        created_at=o.created_at,
        updated_at=o.updated_at,
        reserve_until=o.reserve_until,
        open_marker="open" if o.is_open else None,
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


def order_of(item: OrderModel) -> Order:
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
