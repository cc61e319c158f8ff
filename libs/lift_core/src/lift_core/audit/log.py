"""What a use case needs of the audit trail, and an in-memory one for unit tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Staged(Protocol):
    """An audit event ready to be written as one item of a storage adapter's transaction."""

    def add_to(self, tx: Any) -> None:
        """Put the event, under its condition, into a PynamoDB ``TransactWrite``."""

    def lost_race(self) -> bool:
        """After a cancelled transaction: whether another writer took the event's place
        (the whole write is then tried again at the new head)."""


Within = Callable[[Staged], None]
"""A write that commits the staged event atomically with the state change it records. It
must raise when it stored nothing; ``written`` turns a write's "stored?" answer into that."""


class NothingWritten(Exception):
    """A ``within`` write stored nothing (its condition found the work done already): the
    audit event was not written either."""


def written(stored: bool) -> None:
    if not stored:
        raise NothingWritten


class AuditLog(Protocol):
    """The port use cases record to; ``AuditRecorder`` is the production implementation.

    With ``within``, the event is recorded only if that write succeeds, in its transaction
    (no extra round trip, and no state change without its audit event or the reverse)."""

    def record(
        self,
        action: str,
        resource: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
        tenant: str | None = None,
        within: Within | None = None,
    ) -> object: ...


@dataclass(frozen=True, slots=True)
class Recorded:
    action: str
    resource: str
    outcome: str
    details: Mapping[str, Any]
    actor: str | None = None  # None: the request's principal
    tenant: str | None = None


class Unstaged:
    """What the in-memory log hands a write: fakes have no transaction to put it in (the
    log records the event itself once the write returns)."""

    def add_to(self, tx: Any) -> None:
        return None

    def lost_race(self) -> bool:
        return False


@dataclass
class InMemoryAuditLog:
    """Keeps every recorded event in order, for tests that assert what was audited."""

    events: list[Recorded] = field(default_factory=list)

    def record(
        self,
        action: str,
        resource: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
        tenant: str | None = None,
        within: Within | None = None,
    ) -> Recorded:
        if within is not None:
            within(Unstaged())  # raises: nothing is recorded
        event = Recorded(action, resource, outcome, dict(details or {}), actor, tenant)
        self.events.append(event)
        return event

    def actions(self) -> list[tuple[str, str]]:
        """``(action, outcome)`` of every event, in order."""
        return [(e.action, e.outcome) for e in self.events]
