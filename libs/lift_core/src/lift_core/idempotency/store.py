"""Where idempotency records live: the protocol, its outcomes and an in-memory store.

A record is claimed (IN_PROGRESS with a lock expiry), completed with the stored response,
or released (deleted) so the client may retry after a 5xx. The DynamoDB store is in
``lift_core.idempotency.dynamo``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol


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
        return judge(entry.fingerprint, entry.response, entry.locked_until, fingerprint, now)

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        self.entries[key] = _Entry(fingerprint, 0, time.time() + self.ttl, response)

    async def release(self, key: str) -> None:
        self.entries.pop(key, None)


def judge(
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
