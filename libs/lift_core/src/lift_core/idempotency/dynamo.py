"""The DynamoDB idempotency store: shared by every instance, records expire through TTL."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import anyio.to_thread
from pynamodb.attributes import BinaryAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from lift_core.idempotency.store import Begun, InProgress, Outcome, StoredResponse, judge


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
    """Claims keys with a conditional put; an expired record or abandoned lock counts as free."""

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
            return judge(existing.fingerprint, response, existing.locked_until, fingerprint, now)
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
