"""Idempotency for unsafe methods through the ``Idempotency-Key`` header."""

from lift_core.idempotency.middleware import IdempotencyMiddleware, fingerprint
from lift_core.idempotency.store import (
    Begun,
    DynamoIdempotencyStore,
    IdempotencyRecord,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    InProgress,
    Mismatch,
    Replay,
    StoredResponse,
)

__all__ = [
    "Begun",
    "DynamoIdempotencyStore",
    "IdempotencyMiddleware",
    "IdempotencyRecord",
    "IdempotencyStore",
    "InMemoryIdempotencyStore",
    "InProgress",
    "Mismatch",
    "Replay",
    "StoredResponse",
    "fingerprint",
]
