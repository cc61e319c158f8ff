"""Periodic background jobs inside a service (saga recovery, payment retries).

On Lambda there is no long-lived process: run the same job from a scheduled invocation or
a command instead, and leave the interval at 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger("lift.tasks")


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """``run`` every ``interval_seconds`` (0: never). It returns a line to log, or None
    when it had nothing to do; an exception is logged and the next pass tries again."""

    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class OnePass:
    """The same job run once, from a command line or cron (``main``) or a scheduled Lambda
    (``handler``). ``run`` returns a dataclass report; ``unfinished`` names its field that
    counts the work left for a later pass."""

    run: Callable[[], Coroutine[Any, Any, Any]]
    unfinished: str

    def handler(self, event: object, context: object) -> dict[str, Any]:
        """The Lambda entry: the report is the invocation's result."""
        return self._report()

    def main(self) -> int:
        """Prints the report as JSON; exits 0 when nothing is left, 3 when some work is (so
        a scheduler can alert on repeated 3s)."""
        report = self._report()
        print(json.dumps(report))
        return 3 if report[self.unfinished] else 0

    def _report(self) -> dict[str, Any]:
        return dataclasses.asdict(asyncio.run(self.run()))


async def _every(job: PeriodicJob) -> None:
    while True:
        await asyncio.sleep(job.interval_seconds)
        try:
            line = await job.run()
        except Exception:  # the loop must outlive a failed pass
            _log.exception("%s: the pass failed; the next one tries again", job.name)
            continue
        if line:
            _log.info("%s: %s", job.name, line)


def background(
    *jobs: PeriodicJob, on_shutdown: Callable[[], Awaitable[None]] | None = None
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan running ``jobs`` while the app serves, then ``on_shutdown``."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_every(j)) for j in jobs if j.interval_seconds > 0]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if on_shutdown is not None:
                await on_shutdown()

    return lifespan
