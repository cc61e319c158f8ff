"""Consumer-driven message pacts for the estate's events, recorded through each consumer's
own reader: what e-commerce and healthcare read of banking's ``payment.captured`` and
``payment.declined``, and what banking reads of e-commerce's ``order.confirmed`` and
``order.cancelled``.

A consumer's pact (``contracts/pacts/<consumer>-<publisher>-events.json``) holds one async
message per event type it subscribes to, described by the event type, with matchers for
the fields it reads (more may come: they are ignored). Each publisher's provider test
(``services/banking/tests/contract/test_event_pacts.py``,
``services/ecommerce/tests/contract/test_order_event_pacts.py``) produces each message from
its real use cases and checks it against every consumer's pact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pact import Pact, Verifier, match
from pact.types import Message
from tests.contracts import record
from tests.event_schemas import assert_in_catalogue

from lift_core.events import DomainEvent


def envelope(kind: str, source: str, aggregate: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge envelope of an event, as every consumer relies on it."""
    return {
        "detail-type": kind,
        "detail": {
            "id": match.regex("evt_" + "0" * 32, regex=r"^evt_[0-9a-f]{32}$"),
            "type": kind,
            "version": 1,
            "source": source,
            "tenant": match.str("acme"),
            "aggregate": match.regex(
                f"{aggregate}/{aggregate[:3]}_1", regex=rf"^{aggregate}/{aggregate[:3]}_.+$"
            ),
            "occurred_at": match.regex(
                "2026-01-01T00:00:00.000000+00:00", regex=r"^\d{4}-\d{2}-\d{2}T.+$"
            ),
            "payload": payload,
        },
    }


def payment_message(kind: str, key_example: str) -> dict[str, Any]:
    """A ``payment.<kind>`` event, as a consumer of banking's reads it."""
    return envelope(
        f"payment.{kind}",
        "banking",
        "payment",
        {
            "payment_id": match.regex("pay_1", regex=r"^pay_.+$"),
            "status": kind,
            "amount": match.int(2500),
            "key": match.str(key_example),
            "reasons": match.str("velocity" if kind == "declined" else ""),
        },
    )


def order_message(status: str) -> dict[str, Any]:
    """An ``order.<status>`` event, as banking (reconciling payments) reads it."""
    return envelope(
        f"order.{status.lower()}",
        "ecommerce",
        "order",
        {
            "order_id": match.regex("ord_" + "1" * 32, regex=r"^ord_[0-9a-f]{32}$"),
            "status": status,
            "total": match.int(2500),
            "currency": match.regex("EUR", regex=r"^[A-Z]{3}$"),
            "payment_id": match.regex("pay_1", regex=r"^pay_.+$"),
        },
    )


def record_message_pact(
    consumer: str,
    provider: str,
    messages: dict[str, dict[str, Any]],
    read: Callable[[DomainEvent], object],
    scratch: Path,
) -> Path:
    """Each message (by event type) the consumer subscribes to, read by ``read`` (which
    must accept the example and return something), then recorded and compared with the
    committed pact."""
    pact = Pact(consumer, provider).with_specification("V4")
    for name, body in messages.items():
        pact.upon_receiving(name, "Async").with_body(body, content_type="application/json")
    read_back: list[object] = []

    def handler(body: str | bytes | None, metadata: dict[str, object]) -> None:
        assert body is not None
        event = DomainEvent.from_detail(json.loads(body)["detail"])
        read_back.append(read(event))
        assert read_back[-1] is not None, f"{consumer} could not read {event.type}"

    pact.verify(handler, "Async")
    assert len(read_back) == len(messages)
    return record(pact, scratch)


def record_payment_pact(
    consumer: str,
    key_example: str,
    read: Callable[[DomainEvent], object],
    scratch: Path,
) -> Path:
    messages = {f"payment.{k}": payment_message(k, key_example) for k in ("captured", "declined")}
    return record_message_pact(consumer, "banking-events", messages, read, scratch)


def record_order_pact(consumer: str, read: Callable[[DomainEvent], object], scratch: Path) -> Path:
    messages = {f"order.{s.lower()}": order_message(s) for s in ("CONFIRMED", "CANCELLED")}
    return record_message_pact(consumer, "ecommerce-events", messages, read, scratch)


def verify_provider(provider: str, pact: Path, events: dict[str, DomainEvent]) -> None:
    """Check one consumer's ``pact`` against the events the provider's own use cases
    published, by type (a consumer's message is named by its event type), each of them
    also checked against its JSON Schema."""

    def message(name: str, metadata: dict[str, Any] | None = None) -> Message:
        event = events[name]
        assert_in_catalogue(event)
        body = {"detail-type": event.type, "detail": event.detail()}
        return Message(
            contents=json.dumps(body).encode(), metadata=None, content_type="application/json"
        )

    Verifier(provider, host="127.0.0.1").message_handler(message).add_source(pact).verify()
