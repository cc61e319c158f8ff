"""Idempotency for unsafe methods through the ``Idempotency-Key`` header.

The DynamoDB store lives in ``lift_core.idempotency.dynamo`` so that importing the
middleware does not import PynamoDB.
"""

from lift_core.idempotency.middleware import IdempotencyMiddleware, fingerprint
from lift_core.idempotency.required import IdempotencyKey, IdempotencyKeyRequired
from lift_core.idempotency.store import (
    Begun,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    InProgress,
    Mismatch,
    Replay,
    StoredResponse,
)

__all__ = [
    "Begun",
    "IdempotencyKey",
    "IdempotencyKeyRequired",
    "IdempotencyMiddleware",
    "IdempotencyStore",
    "InMemoryIdempotencyStore",
    "InProgress",
    "Mismatch",
    "Replay",
    "StoredResponse",
    "fingerprint",
]
