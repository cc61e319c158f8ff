"""The relay: outbox items from the table's stream to the event bus, at least once and in
order per aggregate.

``Relay.deliver`` is the one piece of code that does it, wherever the stream records come
from: on AWS a Lambda function fed by the outbox table's DynamoDB stream (``handler``,
reporting the first record it could not deliver so Lambda retries from there), locally the
``StreamPoller`` reading the emulator's stream. Chosen over an EventBridge Pipe so that the
same code runs, and is tested, on both; a Pipe would need no code but could not run here.

Delivery stops at the first record the bus refuses: nothing after it is sent before it,
so an aggregate's events never overtake each other, and what was sent is sent again after
a retry (consumers are idempotent by event id).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from pynamodb.exceptions import DoesNotExist

from lift_core.clock import Clock, utc_now
from lift_core.events.consume import InboxRecord
from lift_core.events.outbox import detail_of

_log = logging.getLogger("lift.events.relay")
PUT_EVENTS_MAX = 10  # entries per PutEvents call


class EventBus:
    """An EventBridge bus: ``put`` returns how many leading entries it accepted."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def put(self, details: Sequence[dict[str, Any]]) -> int:
        if not details:
            return 0
        answer = self.client.put_events(
            Entries=[
                {
                    "EventBusName": self.name,
                    "Source": f"lift.{d['source']}",
                    "DetailType": d["type"],
                    "Detail": json.dumps(d, sort_keys=True),
                }
                for d in details
            ]
        )
        for accepted, entry in enumerate(answer.get("Entries", [])):
            if entry.get("ErrorCode"):
                _log.warning("the bus refused %s: %s", details[accepted]["id"], entry["ErrorCode"])
                return accepted
        return len(details)


@dataclass(frozen=True, slots=True)
class Delivery:
    delivered: int
    failed_at: str | None  # the sequence number of the first record not delivered


class Relay:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def deliver(self, records: Sequence[dict[str, Any]]) -> Delivery:
        """Stream records (as DynamoDB Streams and Lambda hand them over) to the bus; only
        inserts carry events (TTL deletions and anything else are passed over)."""
        delivered = 0
        pending: list[tuple[str, dict[str, Any]]] = []
        for record in records:
            if record.get("eventName") != "INSERT":
                continue
            stream = record["dynamodb"]
            pending.append((stream["SequenceNumber"], detail_of(stream["NewImage"])))
        for chunk in _chunks(pending):
            accepted = self.bus.put([detail for _, detail in chunk])
            delivered += accepted
            if accepted < len(chunk):
                return Delivery(delivered, chunk[accepted][0])
        return Delivery(delivered, None)

    def handler(self, event: dict[str, Any], context: object = None) -> dict[str, Any]:
        """The Lambda entry for a DynamoDB stream event source mapping with
        ``ReportBatchItemFailures``."""
        done = self.deliver(event.get("Records", []))
        failures = [{"itemIdentifier": done.failed_at}] if done.failed_at else []
        return {"batchItemFailures": failures}


def _chunks(
    pending: list[tuple[str, dict[str, Any]]],
) -> list[list[tuple[str, dict[str, Any]]]]:
    """PutEvents batches, none holding two events of one aggregate: the bus may accept an
    entry after one it refused, and that must never be the refused one's successor."""
    chunks: list[list[tuple[str, dict[str, Any]]]] = []
    seen: set[tuple[str, str]] = set()
    for item in pending:
        aggregate = (item[1]["tenant"], item[1]["aggregate"])
        if not chunks or len(chunks[-1]) == PUT_EVENTS_MAX or aggregate in seen:
            chunks.append([])
            seen = set()
        chunks[-1].append(item)
        seen.add(aggregate)
    return chunks


class Checkpoints(Protocol):
    """Where a stream poller keeps, per shard, the last record it delivered."""

    def get(self, shard_id: str) -> str | None: ...

    def set(self, shard_id: str, sequence_number: str) -> None: ...


class InboxCheckpoints:
    """A poller's checkpoints as items of the service's inbox table: ``relay:<outbox
    table>`` and the shard id, the last delivered sequence number in ``processed_at``."""

    def __init__(
        self,
        model: type[InboxRecord],
        outbox_table: str,
        *,
        clock: Clock = utc_now,
        keep: timedelta = timedelta(days=15),
    ) -> None:
        self.model = model
        self.key = f"relay:{outbox_table}"
        self.clock = clock
        self.keep = keep

    def get(self, shard_id: str) -> str | None:
        try:
            return str(self.model.get(self.key, shard_id, consistent_read=True).processed_at)
        except DoesNotExist:
            return None

    def set(self, shard_id: str, sequence_number: str) -> None:
        now = self.clock()
        self.model(
            self.key,
            shard_id,
            type="relay.checkpoint",
            processed_at=sequence_number,
            expires_at=now + self.keep,
        ).save()


class StreamPoller:
    """Reads a table's stream as Lambda's event source mapping would, for the local estate:
    each shard from after the last record it delivered (``checkpoints``, kept across
    restarts as the mapping keeps its own), or from its oldest record when there is none;
    then on from where delivery stopped. The checkpoint is written after delivery, so a crash
    in between sends a batch again (the consumers' inboxes make that harmless)."""

    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        relay: Relay,
        checkpoints: Checkpoints | None = None,
    ) -> None:
        self.streams = streams
        self.stream_arn = stream_arn
        self.relay = relay
        self.checkpoints = checkpoints
        self._iterators: dict[str, str | None] = {}

    def poll_once(self) -> int:
        """One read of every shard; returns how many events reached the bus."""
        delivered = 0
        description = self.streams.describe_stream(StreamArn=self.stream_arn)
        for shard in description["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                last = self.checkpoints.get(shard_id) if self.checkpoints else None
                self._iterators[shard_id] = (
                    self._iterator(shard_id, "AFTER_SEQUENCE_NUMBER", last)
                    if last is not None
                    else self._iterator(shard_id, "TRIM_HORIZON")
                )
            iterator = self._iterators[shard_id]
            if iterator is None:
                continue  # a closed shard, read to its end
            page = self.streams.get_records(ShardIterator=iterator, Limit=100)
            records = page["Records"]
            done = self.relay.deliver(records)
            delivered += done.delivered
            if done.failed_at is not None:  # read again from the first one not delivered
                self._iterators[shard_id] = self._iterator(
                    shard_id, "AT_SEQUENCE_NUMBER", done.failed_at
                )
                failed_at = int(done.failed_at)
                sent = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) < failed_at]
            else:
                self._iterators[shard_id] = page.get("NextShardIterator")
                sent = records
            if sent and self.checkpoints is not None:
                self.checkpoints.set(shard_id, sent[-1]["dynamodb"]["SequenceNumber"])
        return delivered

    def _iterator(self, shard_id: str, kind: str, sequence: str | None = None) -> str:
        args: dict[str, Any] = {
            "StreamArn": self.stream_arn,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if sequence is not None:
            args["SequenceNumber"] = sequence
        return str(self.streams.get_shard_iterator(**args)["ShardIterator"])
