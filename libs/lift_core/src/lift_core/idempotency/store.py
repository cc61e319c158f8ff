"""Where idempotency records live: a protocol, an in-memory store and a DynamoDB store.

A record is claimed with a conditional write (IN_PROGRESS with a lock expiry), completed
with the stored response, or released (deleted) so the client may retry after a 5xx.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import anyio.to_thread
from pynamodb.attributes import BinaryAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class Begun:
    """The key was free (or its lock had expired): the caller does the work."""


@dataclass(frozen=True, slots=True)
class Replay:
    response: StoredResponse


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The key was used before with a different payload."""


@dataclass(frozen=True, slots=True)
class InProgress:
    retry_after_seconds: int


Outcome = Begun | Replay | Mismatch | InProgress


class IdempotencyStore(Protocol):
    async def begin(self, key: str, fingerprint: str, lock_seconds: float) -> Outcome: ...

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None: ...

    async def release(self, key: str) -> None: ...


@dataclass(slots=True)
class _Entry:
    fingerprint: str
    locked_until: float
    expires_at: float
    response: StoredResponse | None = None


class InMemoryIdempotencyStore:
    """For unit tests and single-process tools; not shared between instances."""

    def __init__(self, ttl_seconds: float = 86_400) -> None:
        self.ttl = ttl_seconds
        self.entries: dict[str, _Entry] = {}

    async def begin(self, key: str, fingerprint: str, lock_seconds: float) -> Outcome:
        now = time.time()
        entry = self.entries.get(key)
        if entry is None or entry.expires_at < now:
            self.entries[key] = _Entry(fingerprint, now + lock_seconds, now + self.ttl)
            return Begun()
        return _judge(entry.fingerprint, entry.response, entry.locked_until, fingerprint, now)

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        self.entries[key] = _Entry(fingerprint, 0, time.time() + self.ttl, response)

    async def release(self, key: str) -> None:
        self.entries.pop(key, None)


def _judge(
    stored_fp: str,
    response: StoredResponse | None,
    locked_until: float,
    fingerprint: str,
    now: float,
) -> Outcome:
    if stored_fp != fingerprint:
        return Mismatch()
    if response is not None:
        return Replay(response)
    return InProgress(max(1, math.ceil(locked_until - now)))


class IdempotencyRecord(Model):
    class Meta:
        table_name = "idempotency"

    key = UnicodeAttribute(hash_key=True)
    fingerprint = UnicodeAttribute()
    locked_until = NumberAttribute()
    status_code = NumberAttribute(null=True)
    headers = UnicodeAttribute(null=True)
    body = BinaryAttribute(null=True, legacy_encoding=False)
    expires_at = TTLAttribute()


class DynamoIdempotencyStore:
    """Shared by every instance of a service; records expire through DynamoDB TTL."""

    def __init__(self, model: type[IdempotencyRecord], ttl_seconds: float = 86_400) -> None:
        self.model = model
        self.ttl = ttl_seconds

    async def begin(self, key: str, fingerprint: str, lock_seconds: float) -> Outcome:
        return await anyio.to_thread.run_sync(self._begin, key, fingerprint, lock_seconds)

    def _begin(self, key: str, fingerprint: str, lock_seconds: float) -> Outcome:
        model = self.model
        for _ in range(3):  # the record may vanish (released) between our two reads
            now = time.time()
            record = model(
                key,
                fingerprint=fingerprint,
                locked_until=now + lock_seconds,
                expires_at=datetime.fromtimestamp(now + self.ttl, UTC),
            )
            # TTL deletion is lazy: an expired record, or an abandoned lock on the same
            # payload, counts as free.
            free = (
                model.key.does_not_exist()
                | (model.expires_at < datetime.fromtimestamp(now, UTC))
                | (
                    model.status_code.does_not_exist()
                    & (model.locked_until < now)
                    & (model.fingerprint == fingerprint)
                )
            )
            try:
                record.save(condition=free)
                return Begun()
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
            try:
                existing = model.get(key, consistent_read=True)
            except DoesNotExist:
                continue
            response = None
            if existing.status_code is not None:
                response = StoredResponse(
                    int(existing.status_code),
                    [(k, v) for k, v in json.loads(existing.headers or "[]")],
                    existing.body or b"",
                )
            return _judge(existing.fingerprint, response, existing.locked_until, fingerprint, now)
        return InProgress(1)

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        record = self.model(
            key,
            fingerprint=fingerprint,
            locked_until=0,
            status_code=response.status,
            headers=json.dumps(response.headers),
            body=response.body,
            expires_at=datetime.fromtimestamp(time.time() + self.ttl, UTC),
        )
        await anyio.to_thread.run_sync(record.save)

    async def release(self, key: str) -> None:
        await anyio.to_thread.run_sync(self.model(key).delete)
