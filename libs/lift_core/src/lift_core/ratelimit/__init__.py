"""Per-tenant rate limiting: fixed windows, in memory or shared through DynamoDB
(``lift_core.ratelimit.dynamo``).

Every response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``;
a request over the limit gets 429 with ``Retry-After`` (``LiftMiddleware`` asks the limiter
once per authenticated request, keyed by the token's tenant).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


class RateLimiter(Protocol):
    async def hit(self, key: str) -> Decision: ...


class InMemoryRateLimiter:
    """Fixed windows in this process only: right for one instance or a Lambda container."""

    def __init__(
        self, limit: int, window_seconds: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._counts: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str) -> Decision:
        now = self.clock()
        window = int(now // self.window)
        start, count = self._counts.get(key, (window, 0))
        if start != window:
            count = 0
            if len(self._counts) > 100_000:  # drop old windows instead of growing forever
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        reset = math.ceil((window + 1) * self.window - now)
        if count >= self.limit:
            return Decision(False, self.limit, 0, reset)
        self._counts[key] = (window, count + 1)
        return Decision(True, self.limit, self.limit - count - 1, reset)
