"""E-commerce's side of the events between it and banking: how it reads banking's payment
events, and what it publishes about its orders."""

from __future__ import annotations

from lift_core.events import DomainEvent

from ecommerce.domain.orders import Order
from ecommerce.domain.payments import Payment


def charge_of(event: DomainEvent) -> tuple[str, Payment] | None:
    """The order id and the payment a ``payment.*`` event reports, when it is about one of
    this shop's charges (made with the key ``order:<id>``); e-commerce's whole reading of
    banking's payment events (its message pact checks banking still sends what it reads)."""
    key = event.payload.get("key")
    if not isinstance(key, str) or not key.startswith("order:"):
        return None
    reasons = str(event.payload.get("reasons") or "")
    payment = Payment(
        id=str(event.payload["payment_id"]),
        status=str(event.payload["status"]),
        amount=int(event.payload["amount"] or 0),
        refunded=0,
        reasons=tuple(r for r in reasons.split(",") if r),
    )
    return key.removeprefix("order:"), payment


def order_event(kind: str, order: Order) -> DomainEvent:
    """``order.confirmed`` / ``order.cancelled``: ids, amounts and status only."""
    return DomainEvent(
        kind,
        1,
        order.tenant_id,
        f"order/{order.id}",
        {
            "order_id": order.id,
            "status": order.status.value,
            "total": order.totals.total,
            "currency": order.currency,
            "payment_id": order.payment_id,
            "refund_id": order.refund_id,
            "lines": len(order.lines),
        },
    )
