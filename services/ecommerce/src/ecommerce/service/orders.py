"""Reading orders, and the fulfilment steps an admin records."""

from __future__ import annotations

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal

from ecommerce.domain.exceptions import OrderNotFound
from ecommerce.domain.orders import Order, OrderStatus, check_fulfilment
from ecommerce.service.access import is_admin, may_act_for, require_admin
from ecommerce.service.ports import Position, Storage


class Orders:
    def __init__(self, storage: Storage, audit: AuditLog, *, clock: Clock = utc_now) -> None:
        self.orders = storage.orders
        self.audit = audit
        self.clock = clock

    def get(self, principal: Principal, order_id: str) -> Order:
        order = self.orders.find(principal.tenant_id, order_id)
        if order is None or not may_act_for(principal, order.customer_id):
            raise OrderNotFound(order_id)
        return order

    def page(
        self,
        principal: Principal,
        *,
        customer_id: str | None,
        limit: int,
        start: Position,
    ) -> tuple[list[Order], Position]:
        """A customer's orders, newest first; without ``customer_id`` an admin sees the
        whole store's and a customer their own."""
        if customer_id is None and not is_admin(principal):
            customer_id = principal.subject
        if customer_id is not None and not may_act_for(principal, customer_id):
            return [], None
        return self.orders.page(principal.tenant_id, customer_id, limit=limit, start=start)

    def set_status(self, principal: Principal, order_id: str, target: OrderStatus) -> Order:
        require_admin(principal)
        order = self.get(principal, order_id)
        check_fulfilment(order.status, target)
        self.orders.apply(order.to(target, at=iso(self.clock())))
        self.audit.record(
            "order.status", f"order/{order_id}", "success", {"from": order.status, "to": target}
        )
        return self.get(principal, order_id)
