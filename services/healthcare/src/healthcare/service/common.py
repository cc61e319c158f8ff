"""Time and blocking-call helpers the use cases share."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio.to_thread

from lift_core import context

T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


async def blocking(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a DynamoDB (blocking) call in a worker thread, in this request's context."""
    bound = functools.partial(call, *args, **kwargs)
    return await anyio.to_thread.run_sync(context.copy_context_run, bound)
