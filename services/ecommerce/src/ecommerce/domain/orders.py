"""Orders and the state machine every order follows.

Checkout: PENDING → (stock reserved) PAYMENT_PENDING → CONFIRMED, or REJECTED (out of
stock), PAYMENT_DECLINED (banking said no; stock released). Fulfilment: CONFIRMED →
SHIPPED → DELIVERED. Cancel only from CONFIRMED: CANCELLING (shipping is blocked from here)
→ refunded and restocked → CANCELLED.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ecommerce.domain.exceptions import InvalidTransition
from ecommerce.domain.pricing import Line, Totals


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"


# Work between services has not finished: the recovery path completes these.
OPEN = frozenset({OrderStatus.PENDING, OrderStatus.PAYMENT_PENDING, OrderStatus.CANCELLING})

# What an admin may set through ``PUT /orders/{id}/status``.
FULFILMENT: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.CONFIRMED: frozenset({OrderStatus.SHIPPED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
}


def check_fulfilment(current: OrderStatus, target: OrderStatus) -> None:
    if target not in FULFILMENT.get(current, frozenset()):
        raise InvalidTransition(f"an order cannot go from {current} to {target}")


def check_cancellable(current: OrderStatus) -> None:
    if current not in (OrderStatus.CONFIRMED, OrderStatus.CANCELLING):
        raise InvalidTransition(
            f"only confirmed orders not yet shipped can be cancelled (this one is {current})"
        )


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    tenant_id: str
    customer_id: str
    status: OrderStatus
    lines: tuple[Line, ...]
    totals: Totals
    currency: str
    payer_account_id: str
    merchant_account_id: str
    created_at: str
    updated_at: str
    reserve_until: str  # ISO time after which recovery may give the stock back
    payment_id: str | None = None
    refund_id: str | None = None
    reason: str = ""
    ship_to_sealed: str = ""  # the delivery address, encrypted under the customer's key

    @property
    def payment_key(self) -> str:
        """The Idempotency-Key of this order's one payment in banking."""
        return f"order:{self.id}"

    @property
    def refund_key(self) -> str:
        return f"order-refund:{self.id}"
