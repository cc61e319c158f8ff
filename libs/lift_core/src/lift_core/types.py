"""Field types shared by every service's API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _to_utc(moment: datetime) -> datetime:
    """Aware and in UTC; a naive value is taken as UTC. An offset that carries the moment
    past year 1 or 9999 (``9999-12-31T23:59:59-14:00``) is a validation error, not an
    OverflowError deep in a query."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the moment is outside the years 1-9999 in UTC") from None


UtcDateTime = Annotated[datetime, AfterValidator(_to_utc)]
