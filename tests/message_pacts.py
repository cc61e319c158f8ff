"""Consumer-driven message pacts for banking's payment events: what each consumer reads of
``payment.captured`` and ``payment.declined``, recorded through its own reader.

A consumer's pact (``contracts/pacts/<consumer>-banking-events.json``) holds one async
message per event type it subscribes to, described by the event type, with matchers for
the fields it reads (more may come: they are ignored). Banking's provider test
(``services/banking/tests/contract/test_event_pacts.py``) produces each message from its
real use cases and checks it against every consumer's pact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pact import Pact, match
from tests.contracts import record

from lift_core.events import DomainEvent

PROVIDER = "banking-events"


def payment_message(kind: str, key_example: str) -> dict[str, Any]:
    """The EventBridge envelope of a ``payment.<kind>`` event, as a consumer relies on it."""
    return {
        "detail-type": f"payment.{kind}",
        "detail": {
            "id": match.regex("evt_" + "0" * 32, regex=r"^evt_[0-9a-f]{32}$"),
            "type": f"payment.{kind}",
            "version": 1,
            "source": "banking",
            "tenant": match.str("acme"),
            "aggregate": match.regex("payment/pay_1", regex=r"^payment/pay_.+$"),
            "occurred_at": match.regex(
                "2026-01-01T00:00:00.000000+00:00", regex=r"^\d{4}-\d{2}-\d{2}T.+$"
            ),
            "payload": {
                "payment_id": match.regex("pay_1", regex=r"^pay_.+$"),
                "status": kind,
                "amount": match.int(2500),
                "key": match.str(key_example),
                "reasons": match.str("velocity" if kind == "declined" else ""),
            },
        },
    }


def record_payment_pact(
    consumer: str,
    key_example: str,
    read: Callable[[DomainEvent], object],
    scratch: Path,
) -> Path:
    """Each payment event the consumer subscribes to, read by ``read`` (which must accept
    the example and return something), then recorded and compared with the committed pact."""
    pact = Pact(consumer, PROVIDER).with_specification("V4")
    for kind in ("captured", "declined"):
        pact.upon_receiving(f"payment.{kind}", "Async").with_body(
            payment_message(kind, key_example), content_type="application/json"
        )
    read_back: list[object] = []

    def handler(body: str | bytes | None, metadata: dict[str, object]) -> None:
        assert body is not None
        event = DomainEvent.from_detail(json.loads(body)["detail"])
        read_back.append(read(event))
        assert read_back[-1] is not None, f"{consumer} could not read {event.type}"

    pact.verify(handler, "Async")
    assert len(read_back) == 2
    return record(pact, scratch)
