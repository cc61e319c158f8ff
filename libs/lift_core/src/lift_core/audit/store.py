"""The append-only audit table: one hash chain per stream, appended with conditional writes.

An append claims ``(stream, seq)`` with ``attribute_not_exists``; a writer that loses the
race re-reads the head and tries again, so concurrent writers never fork a chain or lose
an event. Writers in one process also take a per-stream lock, so they rarely race at all.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from lift_core.audit.chain import GENESIS_HASH, AuditEvent
from lift_core.clock import iso


@dataclass(frozen=True, slots=True)
class TrailFilter:
    """What an auditor narrows the trail to (every field optional; times are UTC-aware)."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    resource: str | None = None
    action: str | None = None


class AuditRecord(Model):
    class Meta:
        table_name = "audit"

    stream = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    hash = UnicodeAttribute()
    prev_hash = UnicodeAttribute()
    prev_ts = UnicodeAttribute(null=True)
    ts = UnicodeAttribute()
    tenant = UnicodeAttribute()
    service = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    resource = UnicodeAttribute()
    outcome = UnicodeAttribute()
    retain_days = NumberAttribute()
    controls = UnicodeAttribute()  # JSON list
    details = UnicodeAttribute()  # JSON object
    request_id = UnicodeAttribute(null=True)
    trace_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    sensitive = BooleanAttribute(default=False)
    emergency = BooleanAttribute(default=False)
    expires_at = TTLAttribute()


class StagedAppend:
    """One audit record ready to be put with ``condition`` (its sequence number is free),
    by itself or as one item of the caller's ``TransactWrite``."""

    def __init__(self, store: DynamoAuditStore, event: AuditEvent) -> None:
        self.store = store
        self.event = event
        self.record = store._to_record(event)
        self.condition = store.model.seq.does_not_exist()

    def add_to(self, tx: TransactWrite) -> None:
        tx.save(self.record, condition=self.condition)

    def holder(self) -> str | None:
        """The hash of the event now at this record's position, if any (one read)."""
        try:
            found = self.store.model.get(self.event.stream, self.event.seq, consistent_read=True)
        except self.store.model.DoesNotExist:
            return None
        return str(found.hash)

    def lost_race(self) -> bool:
        """Whether another writer took this record's position: what a caller whose
        transaction was cancelled asks before explaining the cancellation as its own."""
        holder = self.holder()
        return holder is not None and holder != self.event.hash


def _put(staged: StagedAppend) -> None:
    staged.record.save(condition=staged.condition)


class AppendConflict(RuntimeError):
    """A stream stayed contended past every retry."""


_Head = tuple[int, str, str | None]  # seq, hash, ts


class DynamoAuditStore:
    def __init__(
        self, model: type[AuditRecord], *, give_up_after: float = 30.0, max_backoff: float = 0.02
    ) -> None:
        self.model = model
        self.give_up_after = give_up_after
        self.max_backoff = max_backoff
        self._heads: dict[str, _Head] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def append(
        self, stream: str, build: Callable[[int, str, str | None], AuditEvent]
    ) -> AuditEvent:
        """Append the event ``build(seq, prev_hash, prev_ts)`` at the head of ``stream``."""
        return self.append_within(stream, build, _put)

    def append_within(
        self,
        stream: str,
        build: Callable[[int, str, str | None], AuditEvent],
        write: Callable[[StagedAppend], None],
    ) -> AuditEvent:
        """Append the event ``build(seq, prev_hash, prev_ts)`` by calling ``write``, which
        puts the staged record, under its condition, alone or inside the caller's own
        transaction. When ``write`` fails because another writer took the sequence number
        first, the head is re-read and the whole write tried again; any other failure is
        the caller's and propagates (the event was not appended)."""
        with self._guard:
            lock = self._locks.setdefault(stream, threading.Lock())
        with lock:
            head = self._heads.get(stream) or self.head(stream)
            deadline = time.monotonic() + self.give_up_after
            attempt = 0
            while time.monotonic() < deadline:
                attempt += 1
                event = build(head[0] + 1, head[1], head[2])
                staged = StagedAppend(self, event)
                try:
                    write(staged)
                except Exception:
                    holder = staged.holder()
                    if holder is None:
                        raise  # not appended: the write failed for its own reason
                    if holder == event.hash:  # it landed; only the answer was lost
                        self._heads[stream] = (event.seq, event.hash, event.ts)
                        return event
                    # Another instance appended first: back off (exponential, full jitter, so
                    # contenders spread out instead of colliding again), then re-read the head.
                    ceiling = min(self.max_backoff, 0.001 * 2**attempt)
                    time.sleep(random.uniform(0, ceiling))  # noqa: S311 - jitter
                    head = self.head(stream)
                    continue
                self._heads[stream] = (event.seq, event.hash, event.ts)
                return event
        raise AppendConflict(f"could not append to {stream} within {self.give_up_after}s")

    def head(self, stream: str) -> _Head:
        for record in self.model.query(
            stream, scan_index_forward=False, limit=1, consistent_read=True
        ):
            return int(record.seq), record.hash, record.ts
        return 0, GENESIS_HASH, None

    def read(self, stream: str, from_seq: int = 1, to_seq: int | None = None) -> list[AuditEvent]:
        condition = (
            self.model.seq.between(from_seq, to_seq)
            if to_seq is not None
            else self.model.seq >= from_seq
        )
        return [
            self.to_event(r)
            for r in self.model.query(stream, range_key_condition=condition, consistent_read=True)
        ]

    def page(
        self,
        stream: str,
        *,
        where: TrailFilter | None = None,
        limit: int,
        start_after: int | None,
    ) -> tuple[list[AuditEvent], int | None]:
        """Newest first; returns the events and the last sequence read (for the cursor)."""
        condition = self.model.seq < start_after if start_after is not None else None
        filter_condition = self._condition(where) if where is not None else None
        events: list[AuditEvent] = []
        last_seen: int | None = None
        results: Iterator[AuditRecord] = self.model.query(
            stream,
            range_key_condition=condition,
            filter_condition=filter_condition,
            scan_index_forward=False,
            page_size=max(limit, 25),
        )
        for record in results:
            events.append(self.to_event(record))
            last_seen = int(record.seq)
            if len(events) >= limit:
                return events, last_seen
        return events, None

    def _condition(self, where: TrailFilter) -> Any:
        m, condition = self.model, None
        for clause in (
            m.ts >= iso(where.since) if where.since else None,
            m.ts <= iso(where.until) if where.until else None,
            m.actor == where.actor if where.actor else None,
            m.resource == where.resource if where.resource else None,
            m.action == where.action if where.action else None,
        ):
            if clause is not None:
                condition = clause if condition is None else condition & clause
        return condition

    def _to_record(self, e: AuditEvent) -> AuditRecord:
        return self.model(
            e.stream,
            e.seq,
            hash=e.hash,
            prev_hash=e.prev_hash,
            prev_ts=e.prev_ts,
            ts=e.ts,
            tenant=e.tenant,
            service=e.service,
            actor=e.actor,
            action=e.action,
            resource=e.resource,
            outcome=e.outcome,
            retain_days=e.retain_days,
            controls=json.dumps(list(e.controls)),
            details=json.dumps(e.details, sort_keys=True),
            request_id=e.request_id,
            trace_id=e.trace_id,
            source_ip=e.source_ip,
            sensitive=e.sensitive,
            emergency=e.emergency,
            expires_at=datetime.fromisoformat(e.ts) + timedelta(days=e.retain_days),
        )

    @staticmethod
    def to_event(r: AuditRecord) -> AuditEvent:
        return AuditEvent(
            stream=r.stream,
            seq=int(r.seq),
            ts=r.ts,
            tenant=r.tenant,
            service=r.service,
            actor=r.actor,
            action=r.action,
            resource=r.resource,
            outcome=r.outcome,
            retain_days=int(r.retain_days),
            controls=tuple(json.loads(r.controls)),
            details=json.loads(r.details),
            request_id=r.request_id,
            trace_id=r.trace_id,
            source_ip=r.source_ip,
            sensitive=bool(r.sensitive),
            emergency=bool(r.emergency),
            prev_hash=r.prev_hash,
            prev_ts=r.prev_ts,
            hash=r.hash,
        )
