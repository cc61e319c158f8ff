"""Domain events: what one service tells the others, versioned, with no personal data.

An event names its type and schema version, the tenant and the aggregate it is about
(``payment/pay_…``: events of one aggregate are delivered in the order they happened), when
it happened, the request that caused it (correlation and trace ids) and a small payload of
ids, amounts and statuses. A payload value that is not a scalar, or that reads as personal
or card data to lift_core's redaction (a card number, an SSN, an e-mail address, a token),
is refused when the event is made, so no such value ever reaches the outbox or the bus.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lift_core.redaction import redact, redact_text

Scalar = str | int | bool | None


class UnsafePayload(ValueError):
    """A payload value an event may not carry."""


def is_safe(value: Scalar) -> bool:
    """Whether ``value`` may travel in an event: a scalar that redaction leaves alone."""
    if isinstance(value, str):
        return redact_text(value) == value
    return value is None or isinstance(value, bool | int)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    type: str  # "<aggregate kind>.<what happened>": "payment.captured"
    version: int
    tenant: str
    aggregate: str  # "payment/pay_…"
    payload: Mapping[str, Scalar]
    id: str = field(default_factory=lambda: f"evt_{uuid.uuid4().hex}")
    source: str = ""  # the publishing service; the outbox sets it
    occurred_at: str = ""  # ISO 8601 UTC; the outbox sets it
    correlation_id: str | None = None  # the request that caused it
    trace_id: str | None = None

    def __post_init__(self) -> None:
        for key, value in self.payload.items():
            if not is_safe(value) or redact({key: value}) != {key: value}:
                raise UnsafePayload(f"{self.type}: payload field {key!r} may not travel")

    def detail(self) -> dict[str, Any]:
        """The JSON document the bus carries (EventBridge's ``detail``)."""
        return {
            "id": self.id,
            "type": self.type,
            "version": self.version,
            "source": self.source,
            "tenant": self.tenant,
            "aggregate": self.aggregate,
            "occurred_at": self.occurred_at,
            "correlation_id": self.correlation_id,
            "trace_id": self.trace_id,
            "payload": dict(self.payload),
        }

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> DomainEvent:
        """Raises ``KeyError``/``TypeError``/``UnsafePayload`` on a malformed document."""
        return cls(
            type=str(detail["type"]),
            version=int(detail["version"]),
            tenant=str(detail["tenant"]),
            aggregate=str(detail["aggregate"]),
            payload=dict(detail["payload"]),
            id=str(detail["id"]),
            source=str(detail["source"]),
            occurred_at=str(detail["occurred_at"]),
            correlation_id=detail.get("correlation_id"),
            trace_id=detail.get("trace_id"),
        )
