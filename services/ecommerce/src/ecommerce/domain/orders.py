"""Orders and the state machine every order follows.

Checkout: PENDING → (stock reserved) PAYMENT_PENDING → CONFIRMED, or REJECTED (out of
stock), PAYMENT_DECLINED (banking said no; stock released). Fulfilment: CONFIRMED →
SHIPPED → DELIVERED. Cancel only from CONFIRMED: CANCELLING (shipping is blocked from here)
→ refunded and restocked → CANCELLED.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum, StrEnum

from ecommerce.domain.exceptions import InvalidTransition
from ecommerce.domain.payments import Charge
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


class Stock(Enum):
    """What a transition does to each line's stock (quantity, reserved, available)."""

    KEEP = "keep"
    RESERVE = "reserve"  # available → reserved; refused unless every line has enough
    SELL = "sell"  # reserved units leave: quantity and reserved go down
    RELEASE = "release"  # reserved → available
    RESTOCK = "restock"  # sold units come back: quantity and available go up


S = OrderStatus
# Every transition an order may make, and what it does to stock.
TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], Stock] = {
    (S.PENDING, S.PAYMENT_PENDING): Stock.RESERVE,
    (S.PENDING, S.REJECTED): Stock.KEEP,  # out of stock or abandoned: nothing was held
    (S.PAYMENT_PENDING, S.CONFIRMED): Stock.SELL,
    (S.PAYMENT_PENDING, S.PAYMENT_DECLINED): Stock.RELEASE,
    (S.PAYMENT_PENDING, S.REJECTED): Stock.RELEASE,  # the reservation expired unpaid
    (S.CONFIRMED, S.CANCELLING): Stock.KEEP,  # blocks shipping until the refund is made
    (S.CANCELLING, S.CANCELLED): Stock.RESTOCK,
    (S.CONFIRMED, S.SHIPPED): Stock.KEEP,
    (S.SHIPPED, S.DELIVERED): Stock.KEEP,
}

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
    def charge(self) -> Charge:
        """The order's one payment, asked of banking under the customer's mandate."""
        return Charge(
            self.tenant_id,
            self.payment_key,
            self.payer_account_id,
            self.merchant_account_id,
            self.totals.total,
            self.currency,
            f"order {self.id}",
        )

    @property
    def refund_key(self) -> str:
        return f"order-refund:{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def to(
        self,
        status: OrderStatus,
        *,
        at: str,
        payment_id: str | None = None,
        refund_id: str | None = None,
        reason: str = "",
    ) -> Transition:
        """This order moved to ``status``, or ``InvalidTransition`` if it may not go there."""
        stock = TRANSITIONS.get((self.status, status))
        if stock is None:
            raise InvalidTransition(f"an order cannot go from {self.status} to {status}")
        after = replace(
            self,
            status=status,
            updated_at=at,
            payment_id=self.payment_id if payment_id is None else payment_id,
            refund_id=self.refund_id if refund_id is None else refund_id,
            reason=reason or self.reason,
        )
        return Transition(before=self.status, after=after, stock=stock)


@dataclass(frozen=True, slots=True)
class Transition:
    """An order's change of status, applied only if it is still ``before`` when stored
    (adapters turn this into one conditional write with the lines' stock moves)."""

    before: OrderStatus
    after: Order
    stock: Stock
