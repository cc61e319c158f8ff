"""Retry budget, bulkhead and back-off: the parts of the pipeline around each call."""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable

from tenacity import RetryCallState


class RetryBudget:
    """Retries may be at most ``ratio`` of requests plus ``min_per_second`` over a sliding
    window (Finagle's budget), so a total outage is not multiplied by the attempt count."""

    def __init__(
        self,
        *,
        ratio: float,
        min_per_second: float,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ratio = ratio
        self.floor = min_per_second * window_seconds
        self.window = window_seconds
        self.clock = clock
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()

    def _trim(self, now: float) -> None:
        for q in (self._requests, self._retries):
            while q and q[0] < now - self.window:
                q.popleft()

    def record_request(self) -> None:
        self._requests.append(self.clock())

    def try_withdraw(self) -> bool:
        now = self.clock()
        self._trim(now)
        if len(self._retries) + 1 > self.ratio * len(self._requests) + self.floor:
            return False
        self._retries.append(now)
        return True


class BulkheadFull(Exception):
    """The target's concurrency limit is reached and the bounded wait ran out."""


class Bulkhead:
    """At most ``max_concurrent`` calls to one target; a caller waits at most ``max_wait``."""

    def __init__(self, *, max_concurrent: int, max_wait: float) -> None:
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self.max_wait = max_wait

    async def __aenter__(self) -> None:
        if not self._semaphore.locked():  # a free slot is taken at once: no timer to arm
            await self._semaphore.acquire()
            return
        try:
            async with asyncio.timeout(self.max_wait):
                await self._semaphore.acquire()
        except TimeoutError as exc:
            raise BulkheadFull from exc

    async def __aexit__(self, *_: object) -> None:
        self._semaphore.release()


def full_jitter_backoff(
    base: float, cap: float, rng: random.Random | None = None
) -> Callable[[RetryCallState], float]:
    """Exponential back-off with full jitter and a cap, but never sooner than the
    ``Retry-After`` the failed attempt carried."""
    chooser = rng or random.Random()  # noqa: S311 - jitter, not security

    def wait(state: RetryCallState) -> float:
        ceiling = min(cap, base * 2 ** (state.attempt_number - 1))
        delay = chooser.uniform(0, ceiling)
        outcome = state.outcome
        if outcome is not None and outcome.failed:
            retry_after = getattr(outcome.exception(), "retry_after", None)
            if retry_after is not None:
                delay = max(delay, min(retry_after, cap))
        return delay

    return wait
