"""Pricing and the order state machine, without I/O."""

from __future__ import annotations

import pytest

from ecommerce.domain.exceptions import InvalidTransition
from ecommerce.domain.orders import OrderStatus, check_cancellable, check_fulfilment
from ecommerce.domain.pricing import Line, StorePolicy, tax_on, totals

pytestmark = pytest.mark.unit

POLICY = StorePolicy(
    "acme", "acc_1", "EUR", tax_rate_bp=2000, shipping_fee=500, free_shipping_from=10_000
)


@pytest.mark.parametrize(
    ("subtotal", "rate_bp", "tax"),
    [
        (3_998, 2000, 800),
        (1_002, 2000, 200),
        (1_003, 2000, 201),
        (25, 2000, 5),
        (5, 1000, 1),
        (4, 1000, 0),
        (0, 2000, 0),
    ],
)
def test_tax_rounds_half_up_to_the_minor_unit(subtotal: int, rate_bp: int, tax: int) -> None:
    assert tax_on(subtotal, rate_bp) == tax


def test_shipping_is_free_from_the_threshold() -> None:
    below = totals([Line("p", "S", "n", 9_999, 1)], POLICY)
    at = totals([Line("p", "S", "n", 5_000, 2)], POLICY)
    assert (below.shipping, below.total) == (500, 9_999 + 2_000 + 500)
    assert (at.shipping, at.total) == (0, 10_000 + 2_000)


def test_fulfilment_follows_the_state_machine() -> None:
    check_fulfilment(OrderStatus.CONFIRMED, OrderStatus.SHIPPED)
    check_fulfilment(OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    for current, target in [
        (OrderStatus.PAYMENT_PENDING, OrderStatus.SHIPPED),
        (OrderStatus.SHIPPED, OrderStatus.CONFIRMED),
        (OrderStatus.CANCELLING, OrderStatus.SHIPPED),
        (OrderStatus.DELIVERED, OrderStatus.CANCELLED),
    ]:
        with pytest.raises(InvalidTransition):
            check_fulfilment(current, target)
    for status in (OrderStatus.SHIPPED, OrderStatus.PENDING, OrderStatus.CANCELLED):
        with pytest.raises(InvalidTransition):
            check_cancellable(status)
