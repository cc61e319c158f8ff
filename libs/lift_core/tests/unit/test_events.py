"""Domain events carry ids, amounts and statuses, never personal or card data."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lift_core import LiftSettings
from lift_core.config import Environment
from lift_core.events import (
    Consumer,
    DomainEvent,
    InMemoryInbox,
    InMemoryOutbox,
    Subscription,
    UnsafePayload,
    UntrustedEvent,
)
from lift_core.events.event import Scalar
from lift_core.events.lambdas import relay_entry


@pytest.mark.parametrize(
    "payload",
    [
        {"card": "4111 1111 1111 1111"},
        {"note": "paid by 4111111111111111"},
        {"email": "alice@example.com"},
        {"ssn": "123-45-6789"},
        {"password": "hunter2"},
        {"nested": {"a": 1}},
        {"lines": [1, 2]},
        {"token": "Bearer abc.def"},
    ],
    ids=["card", "card-in-text", "email", "ssn", "sensitive-key", "nested", "list", "bearer"],
)
def test_a_payload_that_could_carry_protected_data_is_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(UnsafePayload):
        DomainEvent("payment.captured", 1, "acme", "payment/pay_1", payload)


def test_ids_amounts_and_statuses_travel_and_round_trip() -> None:
    payload: dict[str, Scalar] = {
        "payment_id": "pay_1",
        "amount": 2_900,
        "status": "captured",
        "first": True,
    }
    event = DomainEvent("payment.captured", 1, "acme", "payment/pay_1", payload, source="bank")
    assert DomainEvent.from_detail(event.detail()) == event


def test_the_in_memory_outbox_publishes_only_what_a_fake_transaction_committed() -> None:
    outbox = InMemoryOutbox("banking")
    staged = outbox.stage(DomainEvent("payment.captured", 1, "acme", "payment/pay_1", {}))
    assert outbox.published == []
    staged.add_to(None)
    assert [(e.type, e.source) for e in outbox.published] == [("payment.captured", "banking")]


def test_the_lambda_relay_entry_builds_its_relay_on_first_use_only() -> None:
    made: list[int] = []

    def settings() -> LiftSettings:
        made.append(1)
        return LiftSettings(environment=Environment.TEST, table_prefix="lift-test-")

    entry = relay_entry(settings)
    assert made == []  # importing the handler module costs nothing
    assert entry({"Records": []}, None) == {"batchItemFailures": []}
    assert entry({"Records": [{"eventName": "REMOVE"}]}, None) == {"batchItemFailures": []}
    assert made == [1]


async def test_a_consumer_refuses_what_is_not_an_event_from_its_publisher() -> None:
    """Messages sent around the bus rule (a forged publisher, a broken or unsafe document)
    raise: they come back and end in the dead-letter queue, and nothing is applied."""
    applied: list[str] = []

    async def handler(event: DomainEvent, claim: Any) -> bool:
        applied.append(event.id)
        return True

    sub = Subscription("shop-payments", "banking", ("payment.captured",))
    consumer = Consumer(sub, {"payment.captured": handler}, InMemoryInbox())
    good = DomainEvent("payment.captured", 1, "acme", "payment/pay_1", {}, source="banking")
    forged = DomainEvent("payment.captured", 1, "acme", "payment/pay_1", {}, source="ecommerce")
    unsafe = {**good.detail(), "payload": {"note": "4111 1111 1111 1111"}}
    for bad, error in (
        (json.dumps({"detail": forged.detail()}), UntrustedEvent),
        ("not json", json.JSONDecodeError),
        (json.dumps({"detail": {"type": "payment.captured"}}), KeyError),
        (json.dumps({"detail": unsafe}), UnsafePayload),
    ):
        with pytest.raises(error):
            await consumer.handle(bad)
    assert applied == []
    assert await consumer.handle(json.dumps({"detail": good.detail()})) is True
    assert applied == [good.id]
    with pytest.raises(ValueError, match="does not subscribe"):
        Consumer(sub, {"payment.refunded": handler}, InMemoryInbox())
