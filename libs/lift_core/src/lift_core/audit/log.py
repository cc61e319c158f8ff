"""What a use case needs of the audit trail, and an in-memory one for unit tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class AuditLog(Protocol):
    """The port use cases record to; ``AuditRecorder`` is the production implementation."""

    def record(
        self,
        action: str,
        resource: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
        tenant: str | None = None,
    ) -> object: ...


@dataclass(frozen=True, slots=True)
class Recorded:
    action: str
    resource: str
    outcome: str
    details: Mapping[str, Any]
    actor: str | None = None  # None: the request's principal
    tenant: str | None = None


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
    ) -> Recorded:
        event = Recorded(action, resource, outcome, dict(details or {}), actor, tenant)
        self.events.append(event)
        return event

    def actions(self) -> list[tuple[str, str]]:
        """``(action, outcome)`` of every event, in order."""
        return [(e.action, e.outcome) for e in self.events]
