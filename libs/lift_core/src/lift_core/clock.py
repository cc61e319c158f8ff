"""The one clock of the estate: use cases take a ``Clock`` so tests can move time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """The timestamp format every table and answer uses (microseconds, UTC offset)."""
    return moment.isoformat(timespec="microseconds")
