"""The transactional outbox: an event is one more item of the transaction that makes the
change it reports, so no event is lost or invented when a process dies between the two.

The outbox table (``<service>-outbox``) streams its new items (DynamoDB Streams, new
image); the relay (``lift_core.events.relay``) carries each to the bus. Items are keyed by
tenant and aggregate, then by time and event id, so the stream hands the events of one
aggregate over in the order they happened; they expire (TTL) once the stream has long
delivered them.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any, Protocol

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from lift_core import context
from lift_core.audit.log import Staged
from lift_core.clock import Clock, iso, utc_now
from lift_core.events.event import DomainEvent

STREAM_KEEPS = timedelta(hours=24)  # DynamoDB Streams keeps a record this long


class OutboxRecord(Model):
    class Meta:
        table_name = "outbox"
        stream_view_type = "NEW_IMAGE"

    aggregate = UnicodeAttribute(hash_key=True)  # "<tenant>#<aggregate>"
    position = UnicodeAttribute(range_key=True)  # "<occurred at>#<event id>"
    type = UnicodeAttribute()
    detail = UnicodeAttribute()  # the event's JSON document
    expires_at = TTLAttribute()


class StagedEvent:
    """An event ready to be put as one item of the caller's ``TransactWrite``."""

    def __init__(self, record: OutboxRecord, event: DomainEvent) -> None:
        self.record = record
        self.event = event

    def add_to(self, tx: TransactWrite) -> None:
        tx.save(self.record, condition=type(self.record).position.does_not_exist())

    def lost_race(self) -> bool:
        return False  # an event's id is its own: no other writer takes its place


class OutboxPort(Protocol):
    """What a use case publishes through: an event staged for its storage's transaction."""

    def stage(self, event: DomainEvent) -> Staged: ...


class Outbox:
    """Stages a service's events; ``keep`` is how long an item outlives its delivery."""

    def __init__(
        self,
        model: type[OutboxRecord],
        *,
        service: str,
        clock: Clock = utc_now,
        keep: timedelta = 2 * STREAM_KEEPS,
    ) -> None:
        self.model = model
        self.service = service
        self.clock = clock
        self.keep = keep

    def stage(self, event: DomainEvent) -> StagedEvent:
        """``event`` stamped with the service, the time and the request's ids, staged."""
        ctx = context.current()
        now = self.clock()
        stamped = dataclasses.replace(
            event,
            source=self.service,
            occurred_at=iso(now),
            correlation_id=event.correlation_id or (ctx.request_id if ctx else None),
            trace_id=event.trace_id or (ctx.trace_id if ctx and ctx.trace_id else None),
        )
        record = self.model(
            f"{stamped.tenant}#{stamped.aggregate}",
            f"{stamped.occurred_at}#{stamped.id}",
            type=stamped.type,
            detail=json.dumps(stamped.detail(), sort_keys=True),
            expires_at=now + self.keep,
        )
        return StagedEvent(record, stamped)


def detail_of(new_image: dict[str, Any]) -> dict[str, Any]:
    """The event document inside an outbox item's stream image."""
    return dict(json.loads(new_image["detail"]["S"]))


class InMemoryOutbox:
    """For unit tests: a fake storage's transaction calls ``add_to`` of what it commits, and
    the events land in ``published``."""

    def __init__(self, service: str = "test", clock: Clock = utc_now) -> None:
        self.service = service
        self.clock = clock
        self.published: list[DomainEvent] = []

    def stage(self, event: DomainEvent) -> _StagedInMemory:
        return _StagedInMemory(self, dataclasses.replace(event, source=self.service))

    def types(self) -> list[str]:
        return [e.type for e in self.published]


class _StagedInMemory:
    def __init__(self, outbox: InMemoryOutbox, event: DomainEvent) -> None:
        self.outbox = outbox
        self.event = event

    def add_to(self, tx: Any) -> None:
        self.outbox.published.append(
            dataclasses.replace(self.event, occurred_at=iso(self.outbox.clock()))
        )

    def lost_race(self) -> bool:
        return False
