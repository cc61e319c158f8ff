"""E-commerce verifies every consumer's message pact on its order events
(``contracts/pacts/*-ecommerce-events.json``, see tests/message_pacts.py): each ``order.*``
message is the event e-commerce's own checkout and cancellation publish (on fakes), checked
by Pact against what the consumer reads. Renaming a payload field, changing a type or
dropping the payment id fails here."""

from __future__ import annotations

import pytest
from services.ecommerce.tests.unit.conftest import customer, make_world
from tests.contracts import PACT_DIR
from tests.message_pacts import verify_provider

from lift_core.events import DomainEvent

pytestmark = pytest.mark.integration

CONSUMERS = sorted(
    p.name.removesuffix("-ecommerce-events.json") for p in PACT_DIR.glob("*-ecommerce-events.json")
)


async def _published() -> dict[str, DomainEvent]:
    """One order checked out and confirmed, then cancelled, through e-commerce's use cases."""
    world = make_world()
    mug = world.product(5, price=1_000)
    who = await world.buyer("alice")
    world.shop.carts.add(who, mug, 2)
    order, _ = await world.shop.checkout.checkout(customer("alice"), "k1")
    await world.shop.checkout.cancel(customer("alice"), order.id)
    events = {e.type: e for e in world.outbox.published}
    assert set(events) == {"order.confirmed", "order.cancelled"}
    return events


def test_consumers_have_message_pacts() -> None:
    assert CONSUMERS == ["banking"]


@pytest.mark.parametrize("consumer", CONSUMERS)
async def test_ecommerce_publishes_what_each_consumer_reads(consumer: str) -> None:
    events = await _published()

    verify_provider("ecommerce-events", PACT_DIR / f"{consumer}-ecommerce-events.json", events)
