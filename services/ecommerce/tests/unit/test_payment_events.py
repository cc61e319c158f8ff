"""Banking's payment events settle orders at once: every branch of ``Checkout.on_payment``
through the consumer the estate runs, on fakes."""

from __future__ import annotations

import json

import pytest
from services.ecommerce.tests.unit.conftest import RESERVATION_SECONDS, World, customer
from tests.event_schemas import assert_in_catalogue

from lift_core.events import DomainEvent

from ecommerce.domain.orders import Order, OrderStatus
from ecommerce.domain.payments import Payment

pytestmark = pytest.mark.unit


async def _pending(world: World, subject: str = "alice") -> tuple[Order, str]:
    """A checkout whose payment banking took but whose answer was lost; (order, mug)."""
    mug = world.product(5, price=1_000)
    who = await world.buyer(subject)
    world.shop.carts.add(who, mug, 2)
    world.banking.mode = "lose"
    order, _ = await world.shop.checkout.checkout(customer(subject), "k1")
    world.banking.mode = "up"
    assert order.status is OrderStatus.PAYMENT_PENDING
    return order, mug


def _event(world: World, order: Order, payment: Payment, **payload: object) -> str:
    """The message banking's event reaches the queue as (an EventBridge envelope)."""
    event = DomainEvent(
        f"payment.{payment.status}",
        1,
        order.tenant_id,
        f"payment/{payment.id}",
        {
            "payment_id": payment.id,
            "status": payment.status,
            "amount": payment.amount,
            "currency": "EUR",
            "key": f"order:{order.id}",
            "reasons": ",".join(payment.reasons),
            **payload,  # type: ignore[dict-item]
        },
        source="banking",
    )
    return json.dumps({"detail-type": event.type, "detail": event.detail()})


async def test_a_capture_whose_answer_was_lost_confirms_the_order_once(world: World) -> None:
    order, mug = await _pending(world)
    consumer = world.shop.consumers[0]
    message = _event(world, order, world.banking.payments[f"order:{order.id}"])
    assert await consumer.handle(message) is True
    confirmed = world.stored(order)
    assert (confirmed.status, confirmed.payment_id) == (OrderStatus.CONFIRMED, "pay_0")
    assert world.stock(mug) == (3, 0, 3)
    assert world.outbox.types() == ["order.confirmed"]
    assert_in_catalogue(world.outbox.published[0])
    assert await consumer.handle(message) is False  # a duplicate: claimed already
    assert world.outbox.types() == ["order.confirmed"]
    assert world.banking.calls == ["charge"]  # no lookup was needed


async def test_a_declined_payment_event_releases_the_stock(world: World) -> None:
    order, mug = await _pending(world)
    declined = Payment("pay_9", "declined", order.totals.total, 0, ("velocity",))
    await world.shop.consumers[0].handle(_event(world, order, declined))
    stored = world.stored(order)
    assert (stored.status, stored.reason) == (OrderStatus.PAYMENT_DECLINED, "velocity")
    assert world.stock(mug) == (5, 0, 5)


async def test_a_stale_event_never_undoes_a_newer_state(world: World) -> None:
    order, _ = await _pending(world)
    payment = world.banking.payments[f"order:{order.id}"]
    await world.shop.consumers[0].handle(_event(world, order, payment))
    confirmed = world.stored(order)
    late_decline = Payment(payment.id, "declined", payment.amount, 0, ())
    await world.shop.consumers[0].handle(_event(world, order, late_decline))
    assert world.stored(order) == confirmed
    assert world.banking.refunds == {}


async def test_a_capture_for_an_order_that_expired_meanwhile_is_refunded(world: World) -> None:
    order, mug = await _pending(world)
    world.banking.mode = "down"
    world.clock.advance(seconds=RESERVATION_SECONDS + 1)
    world.banking.mode = "up"
    world.banking.payments.clear()  # the lookup finds no payment: the stock goes back
    await world.shop.checkout.recover()
    assert world.stored(order).status is OrderStatus.REJECTED
    world.banking.payer_of["pay_7"] = "acc_alice"
    captured = Payment("pay_7", "captured", order.totals.total, 0, ())
    await world.shop.consumers[0].handle(_event(world, order, captured))
    assert world.banking.refunds  # the money went back
    assert world.stored(order).status is OrderStatus.REJECTED
    assert world.stock(mug) == (5, 0, 5)


@pytest.mark.parametrize(
    "payload",
    [{"key": "inv_123"}, {"key": None}, {"key": "order:ord_nobody"}],
    ids=["another-consumers-key", "no-key", "unknown-order"],
)
async def test_an_event_for_no_order_of_this_shop_changes_nothing(
    world: World, payload: dict[str, object]
) -> None:
    order, _ = await _pending(world)
    payment = world.banking.payments[f"order:{order.id}"]
    await world.shop.consumers[0].handle(_event(world, order, payment, **payload))
    assert world.stored(order).status is OrderStatus.PAYMENT_PENDING
    assert world.outbox.types() == []


async def test_confirming_and_cancelling_publish_their_events_in_the_catalogue(
    world: World,
) -> None:
    mug = world.product(5, price=1_000)
    who = await world.buyer("carol")
    world.shop.carts.add(who, mug, 1)
    order, _ = await world.shop.checkout.checkout(customer("carol"), "k1")
    await world.shop.checkout.cancel(customer("carol"), order.id)
    assert world.outbox.types() == ["order.confirmed", "order.cancelled"]
    cancelled = world.outbox.published[1]
    assert (cancelled.payload["status"], cancelled.payload["refund_id"]) == ("CANCELLED", "ref_0")
    for event in world.outbox.published:
        assert_in_catalogue(event)
