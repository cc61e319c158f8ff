"""Consuming events: idempotent by event id, tolerant of duplicates and reordering.

A ``Consumer`` maps event types to handlers. Each handler gets the event and an inbox claim
(``<service>-inbox``: consumer and event id) to put in the same transaction as its effect,
so an effect happens at most once per event; an event already claimed is acknowledged
without running the handler again. A handler that finds nothing to do (the state moved on:
a stale or repeated event) returns False (or raises ``NothingWritten``); one that fails raises,
and the message comes back after its visibility timeout until the queue's redrive policy
moves it to the dead-letter queue.

The same ``Consumer.handle`` runs on Lambda (``lambda_handler``: an SQS event source mapping
with partial batch responses, through Powertools' batch utilities) and locally
(``QueuePoller`` reading the emulator's queue).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from lift_core.audit.log import NothingWritten, Staged
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal, RequestContext, reset, run_blocking, set_current
from lift_core.events.event import DomainEvent
from lift_core.events.topology import Subscription

_log = logging.getLogger("lift.events.consume")
Handler = Callable[[DomainEvent, Staged], Awaitable[bool]]  # True: it had an effect


class InboxRecord(Model):
    class Meta:
        table_name = "inbox"

    consumer = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    processed_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class InboxPort(Protocol):
    def seen(self, consumer: str, event_id: str) -> bool: ...

    def claim(self, consumer: str, event: DomainEvent) -> Staged: ...


class StagedClaim:
    def __init__(self, record: InboxRecord) -> None:
        self.record = record

    def add_to(self, tx: TransactWrite) -> None:
        tx.save(self.record, condition=type(self.record).event_id.does_not_exist())

    def lost_race(self) -> bool:
        return False


class Inbox:
    """Processed events, kept longer than any queue keeps a message (SQS: 14 days)."""

    def __init__(
        self,
        model: type[InboxRecord],
        *,
        clock: Clock = utc_now,
        keep: timedelta = timedelta(days=15),
    ) -> None:
        self.model = model
        self.clock = clock
        self.keep = keep

    def seen(self, consumer: str, event_id: str) -> bool:
        try:
            self.model.get(consumer, event_id, consistent_read=True)
        except DoesNotExist:
            return False
        return True

    def claim(self, consumer: str, event: DomainEvent) -> StagedClaim:
        now = self.clock()
        return StagedClaim(
            self.model(
                consumer,
                event.id,
                type=event.type,
                processed_at=iso(now),
                expires_at=now + self.keep,
            )
        )


class InMemoryInbox:
    """For unit tests: a fake storage's transaction calls ``add_to`` of what it commits."""

    def __init__(self) -> None:
        self.claimed: set[tuple[str, str]] = set()

    def seen(self, consumer: str, event_id: str) -> bool:
        return (consumer, event_id) in self.claimed

    def claim(self, consumer: str, event: DomainEvent) -> _InMemoryClaim:
        return _InMemoryClaim(self, (consumer, event.id))


class _InMemoryClaim:
    def __init__(self, inbox: InMemoryInbox, key: tuple[str, str]) -> None:
        self.inbox = inbox
        self.key = key

    def add_to(self, tx: Any) -> None:
        self.inbox.claimed.add(self.key)

    def lost_race(self) -> bool:
        return False


class UntrustedEvent(ValueError):
    """An event that did not come from the service its subscription names."""


class Consumer:
    def __init__(
        self, subscription: Subscription, handlers: Mapping[str, Handler], inbox: InboxPort
    ) -> None:
        if not set(handlers) <= set(subscription.types):
            raise ValueError(f"{subscription.consumer} handles types it does not subscribe to")
        self.subscription = subscription
        self.name = subscription.consumer
        self.handlers = handlers
        self.inbox = inbox

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(sorted(self.handlers))

    async def handle(self, body: str) -> bool:
        """One message (an EventBridge envelope, or the bare event document): True when a
        handler ran. Raises when the handler failed or the message is not an event.

        The handler runs as the consumer (the principal ``<consumer>`` of the event's
        tenant, so its audit events name it) under the event's correlation and trace ids,
        and one log line tells what became of the event and how long after it happened."""
        document = json.loads(body)
        event = DomainEvent.from_detail(document.get("detail", document))
        handler = self.handlers.get(event.type)
        if handler is None:
            return False  # not an event this consumer subscribes to
        if event.source != self.subscription.source:
            # The bus rule admits its publisher alone: whatever else reached the queue was
            # sent around the rule. Refused, so it ends in the dead-letter queue, alarmed.
            raise UntrustedEvent(
                f"{event.type} from {event.source!r}, not {self.subscription.source!r}"
            )
        token = set_current(
            RequestContext(
                request_id=event.id,
                correlation_id=event.correlation_id or event.id,
                trace_id=event.trace_id or "",
                principal=Principal(self.name, event.tenant, roles=frozenset({"service"})),
            )
        )
        try:
            outcome = await self._run(handler, event)
        finally:
            reset(token)
        return outcome == "applied"

    async def _run(self, handler: Handler, event: DomainEvent) -> str:
        outcome = "failed"
        try:
            if await run_blocking(self.inbox.seen, self.name, event.id):
                outcome = "duplicate"  # processed before: a repeated delivery
                return outcome
            try:
                applied = await handler(event, self.inbox.claim(self.name, event))
                outcome = "applied" if applied else "nothing to do"
            except NothingWritten:
                outcome = "nothing to do"
            return outcome
        finally:
            _log.info(
                "event %s",
                outcome,
                extra={
                    "event": {
                        "consumer": self.name,
                        "type": event.type,
                        "id": event.id,
                        "outcome": outcome,
                        "latency_ms": _since(event.occurred_at),
                    }
                },
            )


def _since(moment: str) -> float | None:
    """Milliseconds since ``moment`` (ISO 8601), None when it does not read as a time."""
    try:
        then = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if then.tzinfo is None:
        return None
    return round((datetime.now(UTC) - then).total_seconds() * 1000, 1)


class QueuePoller:
    """Receives a queue's messages for ``consumer`` as Lambda's event source mapping would:
    a message is deleted once handled; one that failed is left to come back."""

    def __init__(self, sqs: Any, queue_url: str, consumer: Consumer, *, batch: int = 10) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.consumer = consumer
        self.batch = batch

    async def poll_once(self, *, batches: int = 10) -> int:
        """Receives until the queue has nothing visible (at most ``batches`` receives, so a
        backlog drains without waiting a poll interval per ten messages); returns how many
        messages were handled and deleted."""
        done = 0
        for _ in range(batches):
            handled, received = await self._receive_once()
            done += handled
            if received < self.batch:
                break
        return done

    async def _receive_once(self) -> tuple[int, int]:
        answer = await run_blocking(
            self.sqs.receive_message, QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch
        )
        messages = answer.get("Messages", [])
        done = 0
        for message in messages:
            try:
                await self.consumer.handle(message["Body"])
            except Exception:
                _log.exception("%s: message %s failed", self.consumer.name, message["MessageId"])
                continue
            await run_blocking(
                self.sqs.delete_message,
                QueueUrl=self.queue_url,
                ReceiptHandle=message["ReceiptHandle"],
            )
            done += 1
        return done, len(messages)


def lambda_handler(consumer: Consumer) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry for an SQS event source mapping with ``ReportBatchItemFailures``:
    Powertools runs ``consumer.handle`` per record and reports the ones that raised."""
    from aws_lambda_powertools.utilities.batch import (
        AsyncBatchProcessor,
        EventType,
        async_process_partial_response,
    )

    processor = AsyncBatchProcessor(event_type=EventType.SQS)

    async def handle_record(record: Any) -> None:
        await consumer.handle(record.body)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(
            async_process_partial_response(
                event=event, record_handler=handle_record, processor=processor, context=context
            )
        )

    return handler
