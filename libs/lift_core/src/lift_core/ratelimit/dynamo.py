"""Fixed windows shared by every instance through DynamoDB: one conditional ADD per request."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

import anyio.to_thread
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from lift_core.ratelimit import Decision


class RateLimitCounter(Model):
    """One item per key and window; expires by TTL shortly after the window ends."""

    class Meta:
        table_name = "ratelimit"

    key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute()


class DynamoRateLimiter:
    """Fixed windows shared by every instance: an atomic conditional ADD per request."""

    def __init__(
        self,
        model: type[RateLimitCounter],
        limit: int,
        window_seconds: int,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.model = model
        self.limit = limit
        self.window = window_seconds
        self.clock = clock

    async def hit(self, key: str) -> Decision:
        now = self.clock()
        window = int(now // self.window)
        reset = math.ceil((window + 1) * self.window - now)
        item = self.model(f"{key}#{window}")
        try:
            await anyio.to_thread.run_sync(self._increment, item, window)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return Decision(False, self.limit, 0, reset)
            raise
        return Decision(True, self.limit, max(self.limit - int(item.hits), 0), reset)

    def _increment(self, item: RateLimitCounter, window: int) -> None:
        model = self.model
        item.update(
            actions=[
                model.hits.add(1),
                model.expires_at.set(datetime.fromtimestamp((window + 2) * self.window, UTC)),
            ],
            condition=model.hits.does_not_exist() | (model.hits < self.limit),
        )
