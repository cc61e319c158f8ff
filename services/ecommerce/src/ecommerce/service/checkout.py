"""Checkout as a persisted saga across e-commerce and banking, and its recovery path.

1. The order is drafted (PENDING, in memory) from one read of the store, the customer and
   the cart, and one of its products; its id derives from the customer's Idempotency-Key.
2. It is written PAYMENT_PENDING in one transaction that reserves every line's stock and
   appends its audit event (all lines or none: otherwise it is written REJECTED, nothing
   held). Every later transition is likewise one transaction with its audit event.
3. Banking is asked for the payment, under the customer's mandate, with the key
   ``order:<id>``; banking applies a key at most once, so asking again is always safe.
4. Captured: the reservation becomes a sale and the order CONFIRMED. Declined or refused:
   the stock is released and the order PAYMENT_DECLINED. No answer: the order stays
   PAYMENT_PENDING and ``recover`` finishes it later.

``recover`` looks at every unfinished order older than a grace period and drives it to an
end: it repeats step 3 (or, once the reservation has expired, only looks the payment up
and lets the stock go if there is none), resumes cancellations, and abandons orders that
never got their stock. A payment whose order can no longer be confirmed is refunded.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from lift_core import context
from lift_core.audit import AuditLog, NothingWritten, Staged, Within, written
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal
from lift_core.context import run_blocking as blocking
from lift_core.events import DomainEvent, OutboxPort

from ecommerce.domain.catalog import ProductStatus
from ecommerce.domain.exceptions import (
    CurrencyMismatch,
    EmptyCart,
    InvalidTransition,
    OrderNotFound,
    OutOfStock,
    PaymentServiceUnavailable,
    ProductNotActive,
    ProductNotFound,
    ShopError,
    StoreNotConfigured,
)
from ecommerce.domain.orders import Order, OrderStatus, check_cancellable
from ecommerce.domain.payments import Payment, PaymentRefused, PaymentUnknown
from ecommerce.domain.pricing import totals
from ecommerce.service.access import may_act_for
from ecommerce.service.carts import Carts
from ecommerce.service.customers import Customers
from ecommerce.service.order_events import charge_of, order_event
from ecommerce.service.ports import OrderRepository, PaymentGateway, Storage

T = TypeVar("T")
_NAMESPACE = uuid.UUID("2b3c9a8e-6d1f-4f0e-8b7a-65636f6d6d65")
_log = logging.getLogger("ecommerce.checkout")
RECOVERY_ACTOR = "ecommerce-recovery"


class _Event(NamedTuple):
    action: str
    outcome: str
    details: dict[str, Any]


def order_id(tenant: str, customer: str, key: str) -> str:
    return f"ord_{uuid.uuid5(_NAMESPACE, f'{tenant}|{customer}|{key}').hex}"


@dataclass
class RecoveryReport:
    examined: int = 0
    finished: dict[str, int] = field(default_factory=dict)
    still_open: int = 0

    def count(self, status: OrderStatus) -> None:
        self.finished[status.value] = self.finished.get(status.value, 0) + 1


@dataclass
class Checkout:
    storage: Storage
    carts: Carts
    customers: Customers
    payments: PaymentGateway
    audit: AuditLog
    _: KW_ONLY
    outbox: OutboxPort
    reservation: timedelta  # how long an order holds its stock for its payment
    min_age: timedelta  # an order younger than this may still be checking out: recovery waits
    clock: Clock = utc_now

    @property
    def orders(self) -> OrderRepository:
        return self.storage.orders

    # -- the saga -----------------------------------------------------------------------

    async def checkout(self, principal: Principal, key: str) -> tuple[Order, bool]:
        """The order, and whether this call created it (False: the key came back)."""
        tenant, customer_id = principal.tenant_id, principal.subject
        oid = order_id(tenant, customer_id, key)
        # The key is not looked up first: the order's conditional add finds a replay, and a
        # draft refused now (the cart was cleared by that first checkout, the customer
        # erased since) looks the key up before it answers.
        try:
            order, cart_version = await blocking(self._draft, principal, oid)
        except ShopError:
            if (existing := await blocking(self.orders.find, tenant, oid)) is None:
                raise
            return existing, False
        transition = order.to(OrderStatus.PAYMENT_PENDING, at=order.created_at)
        try:
            await self._audited(
                order,
                _Event("order.checkout", "success", {"total": order.totals.total}),
                lambda staged: written(self.orders.place(transition, audit=staged)),
            )
        except NothingWritten:  # the order's id was taken: its Idempotency-Key came back
            return await self._reload(order), False
        except OutOfStock as exc:
            rejected = order.to(OrderStatus.REJECTED, at=order.created_at, reason=str(exc)).after
            with contextlib.suppress(NothingWritten):  # a concurrent replay stored it first
                await self._audited(
                    rejected,
                    _Event("order.reject", "failure", {"reason": "out-of-stock"}),
                    lambda staged: written(self.orders.add(rejected, audit=staged)),
                )
            raise
        order = await self._settle_payment(transition.after, may_charge=True)
        if order.status is OrderStatus.CONFIRMED:
            await blocking(self.storage.carts.clear, tenant, customer_id, cart_version)
        return order, True

    def _draft(self, principal: Principal, oid: str) -> tuple[Order, int | None]:
        tenant = principal.tenant_id
        basket = self.storage.baskets.basket(tenant, principal.subject)  # one round trip
        store, cart = basket.store, basket.cart
        if store is None:
            raise StoreNotConfigured("this store is not open yet")
        customer = self.customers.opened(principal, principal.subject, basket.customer)
        if not cart.items:
            raise EmptyCart("the cart is empty")
        products = self.storage.products.get_many(tenant, sorted(cart.items))
        for product_id in sorted(cart.items):
            product = products.get(product_id)
            if product is None:
                raise ProductNotFound(product_id)
            if product.status is not ProductStatus.ACTIVE:
                raise ProductNotActive(f"{product.sku} is no longer for sale")
            if product.currency != store.currency:
                raise CurrencyMismatch(f"{product.sku} is priced in {product.currency}")
        lines = self.carts.lines(tenant, cart, known=products)  # priced from the same reads
        now = self.clock()
        order = Order(
            id=oid,
            tenant_id=tenant,
            customer_id=principal.subject,
            status=OrderStatus.PENDING,
            lines=tuple(lines),
            totals=totals(lines, store),
            currency=store.currency,
            payer_account_id=customer.bank_account_id,
            merchant_account_id=store.merchant_account_id,
            created_at=iso(now),
            updated_at=iso(now),
            reserve_until=iso(now + self.reservation),
            ship_to_sealed=self.customers.seal_address(customer),
        )
        return order, cart.version

    async def _settle_payment(self, order: Order, *, may_charge: bool) -> Order:
        """PAYMENT_PENDING → CONFIRMED or PAYMENT_DECLINED, or unchanged if banking cannot
        say. ``may_charge=False`` only looks the payment up (the reservation expired)."""
        try:
            if may_charge:
                payment: Payment | None = await self.payments.charge(order.charge)
            else:
                payment = await self.payments.find(order.tenant_id, order.payment_key)
        except PaymentRefused as exc:
            return await self._release(order, OrderStatus.PAYMENT_DECLINED, exc.reason)
        except PaymentUnknown as exc:
            _log.warning("payment outcome unknown (%s); order %s stays pending", exc, order.id)
            return order
        if payment is None:
            return await self._release(order, OrderStatus.REJECTED, "reservation expired")
        return await self._settle_with(order, payment)

    async def _settle_with(
        self, order: Order, payment: Payment, also: Sequence[Staged] = ()
    ) -> Order:
        """PAYMENT_PENDING → CONFIRMED (publishing ``order.confirmed``) or PAYMENT_DECLINED,
        as banking's answer says; ``also`` rides in the same write (an inbox claim)."""
        if not payment.captured:
            reason = ",".join(payment.reasons) or "declined"
            return await self._release(order, OrderStatus.PAYMENT_DECLINED, reason, also=also)
        try:
            return await self._move(
                order,
                OrderStatus.CONFIRMED,
                payment_id=payment.id,
                event=_Event("order.confirm", "success", {"payment": payment.id}),
                publish="order.confirmed",
                also=also,
            )
        except InvalidTransition:
            return await self._confirm_lost(order, payment)

    async def on_payment(self, event: DomainEvent, claim: Staged) -> bool:
        """Banking's ``payment.captured`` or ``payment.declined`` for one of this shop's
        charges (its key is ``order:<id>``): the order is settled as the charge's own answer
        would have settled it, at once, even when that answer was lost. An order that has
        moved on (a repeated or stale event) is left as it is; a capture for an order that
        could not take it is refunded, as when the answer comes late."""
        charge = charge_of(event)
        if charge is None:
            return False  # not a charge of this shop
        order_id, payment = charge
        order = await blocking(self.orders.find, event.tenant, order_id)
        if order is None:
            return False
        if order.status is OrderStatus.PAYMENT_PENDING:
            settled = await self._settle_with(order, payment, also=(claim,))
            return settled.status is not OrderStatus.PAYMENT_PENDING
        if payment.captured and order.payment_id != payment.id:
            await self._confirm_lost(order, payment)
            return True
        return False

    async def _confirm_lost(self, order: Order, payment: Payment) -> Order:
        """Someone else moved the order first. If it is confirmed with this payment, fine;
        otherwise the money must go back."""
        current = await self._reload(order)
        if current.status is OrderStatus.CONFIRMED and current.payment_id == payment.id:
            return current
        if current.status is OrderStatus.PAYMENT_PENDING:
            return current  # a concurrent attempt is still deciding; recovery will finish
        await self._refund(current, payment.id, "order could not be confirmed")
        await self._audit(current, "order.refund-unconfirmed", "success", {"payment": payment.id})
        return current

    async def _release(
        self, order: Order, status: OrderStatus, reason: str, also: Sequence[Staged] = ()
    ) -> Order:
        try:
            return await self._move(
                order,
                status,
                reason=reason,
                event=_Event("order.decline", "failure", {"status": status, "reason": reason}),
                also=also,
            )
        except InvalidTransition:
            return await self._reload(order)

    # -- cancellation -------------------------------------------------------------------

    async def cancel(self, principal: Principal, oid: str) -> Order:
        order = await blocking(self.orders.find, principal.tenant_id, oid)
        if order is None or not may_act_for(principal, order.customer_id):
            raise OrderNotFound(oid)
        check_cancellable(order.status)
        if order.status is OrderStatus.CONFIRMED:
            order = await self._move(order, OrderStatus.CANCELLING)
        order = await self._finish_cancel(order)
        if order.status is OrderStatus.CANCELLING:
            raise PaymentServiceUnavailable(
                "the refund could not be made now; the cancellation completes automatically"
            )
        return order

    async def _finish_cancel(self, order: Order) -> Order:
        assert order.payment_id is not None  # only confirmed orders are cancelled
        try:
            refund_id = await self._refund(order, order.payment_id, "order cancelled")
        except PaymentUnknown:
            return order
        try:
            return await self._move(
                order,
                OrderStatus.CANCELLED,
                refund_id=refund_id,
                reason="cancelled by request",
                event=_Event("order.cancel", "success", {"refund": refund_id}),
                publish="order.cancelled",
            )
        except InvalidTransition:
            return await self._reload(order)

    async def _refund(self, order: Order, payment_id: str, reason: str) -> str:
        return await self.payments.refund(
            order.tenant_id,
            payment_id,
            amount=order.totals.total,
            key=order.refund_key,
            reason=reason,
        )

    # -- recovery -----------------------------------------------------------------------

    async def recover(self, *, limit: int = 100) -> RecoveryReport:
        """Drive every unfinished order old enough to an end (or leave it, if banking still
        cannot answer). Safe to run concurrently with checkouts and with itself."""
        report = RecoveryReport()
        now = self.clock()
        for order in await blocking(self.orders.open, limit=limit):
            if datetime.fromisoformat(order.updated_at) > now - self.min_age:
                continue  # a checkout is most likely still working on it
            report.examined += 1
            finished = await self._recover_one(order, now)
            if finished.status in (
                OrderStatus.PENDING,
                OrderStatus.PAYMENT_PENDING,
                OrderStatus.CANCELLING,
            ):
                report.still_open += 1
            else:
                report.count(finished.status)
        return report

    async def _recover_one(self, order: Order, now: datetime) -> Order:
        if order.status is OrderStatus.PENDING:
            try:
                return await self._move(
                    order,
                    OrderStatus.REJECTED,
                    reason="checkout abandoned",
                    event=_Event("order.reject", "failure", {"reason": "abandoned"}),
                )
            except InvalidTransition:
                return await self._reload(order)
        if order.status is OrderStatus.CANCELLING:
            return await self._finish_cancel(order)
        expired = datetime.fromisoformat(order.reserve_until) <= now
        return await self._settle_payment(order, may_charge=not expired)

    # -- helpers ------------------------------------------------------------------------

    async def _move(
        self,
        order: Order,
        status: OrderStatus,
        *,
        payment_id: str | None = None,
        refund_id: str | None = None,
        reason: str = "",
        event: _Event | None = None,
        publish: str | None = None,
        also: Sequence[Staged] = (),
    ) -> Order:
        """The order moved to ``status`` and stored, with ``event`` audited, the domain
        event ``publish`` staged and ``also`` in the same write (no read-back: the write was
        conditional on the status read, so what was written is what is stored)."""
        transition = order.to(
            status, at=self._now(), payment_id=payment_id, refund_id=refund_id, reason=reason
        )
        if publish is not None:
            also = (*also, self.outbox.stage(order_event(publish, transition.after)))
        if event is None:
            await blocking(self.orders.apply, transition, also=also)
        else:
            await self._audited(
                order, event, lambda audit: self.orders.apply(transition, audit=audit, also=also)
            )
        return transition.after

    async def _reload(self, order: Order) -> Order:
        fresh = await blocking(self.orders.find, order.tenant_id, order.id)
        if fresh is None:
            raise OrderNotFound(order.id)
        return fresh

    async def _audit(
        self, order: Order, action: str, outcome: str, details: dict[str, Any]
    ) -> None:
        await self._audited(order, _Event(action, outcome, details), None)

    async def _audited(self, order: Order, event: _Event, write: Within | None) -> None:
        """Audit ``event`` on the order, inside ``write``'s transaction when there is one."""
        actor = None if context.current_principal() else RECOVERY_ACTOR
        await blocking(
            self.audit.record,
            event.action,
            f"order/{order.id}",
            event.outcome,
            event.details,
            actor=actor,
            tenant=order.tenant_id,
            within=write,
        )

    def _now(self) -> str:
        return iso(self.clock())
