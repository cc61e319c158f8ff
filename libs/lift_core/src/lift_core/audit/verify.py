"""Recompute a chain and name the first broken sequence and why; prove against a digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from lift_core.audit.chain import AuditEvent, compute_hash
from lift_core.clock import utc_now

Reason = Literal["changed", "deleted", "reordered", "inserted", "digest-mismatch"]


@dataclass(frozen=True, slots=True)
class Verification:
    stream: str
    ok: bool
    checked: int
    head_seq: int
    first_broken_seq: int | None = None
    reason: Reason | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    stream: str
    seq: int
    hash: str
    taken_at: str


def verify_events(  # noqa: PLR0911 - one return per kind of break
    stream: str, events: Sequence[AuditEvent], *, from_seq: int = 1, now: datetime | None = None
) -> Verification:
    """``events`` in sequence order, as read from the store for ``from_seq`` onwards."""
    now = now or utc_now()
    head = events[-1].seq if events else 0

    def broken(seq: int, reason: Reason, detail: str) -> Verification:
        return Verification(stream, False, len(events), head, seq, reason, detail)

    for i, event in enumerate(events):
        if compute_hash(event) != event.hash:
            return broken(event.seq, "changed", "the event's content does not match its hash")
        if i == 0:
            if event.seq > from_seq and not _predecessor_expired(event, now):
                return broken(event.seq - 1, "deleted", "missing before the first event")
            continue
        prev = events[i - 1]
        if event.seq != prev.seq + 1:
            return broken(prev.seq + 1, "deleted", f"sequence jumps to {event.seq}")
        if event.prev_hash == prev.hash:
            continue
        if any(later.hash == event.prev_hash for later in events[i + 1 :]):
            return broken(event.seq, "reordered", "it links to an event stored after it")
        if i >= 2 and events[i - 2].hash == event.prev_hash:
            return broken(prev.seq, "inserted", "its successor links past it")
        return broken(prev.seq, "changed", "its successor recorded a different hash")
    return Verification(stream, True, len(events), head)


def _predecessor_expired(event: AuditEvent, now: datetime) -> bool:
    """A leading gap is retention at work only if the predecessor's time has run out."""
    if event.prev_ts is None:
        return event.seq == 1
    expiry = datetime.fromisoformat(event.prev_ts) + timedelta(days=event.retain_days)
    return now >= expiry


def prove(digest: Digest, events: Sequence[AuditEvent]) -> Verification:
    """Check that history up to a digest taken earlier is still the history it covered."""
    covered = [e for e in events if e.seq <= digest.seq]
    result = verify_events(digest.stream, covered)
    if not result.ok:
        return result
    if not covered or covered[-1].seq != digest.seq:
        return Verification(
            digest.stream,
            False,
            len(covered),
            result.head_seq,
            digest.seq,
            "deleted",
            "the event the digest names is gone",
        )
    if covered[-1].hash != digest.hash:
        return Verification(
            digest.stream,
            False,
            len(covered),
            result.head_seq,
            digest.seq,
            "digest-mismatch",
            "history up to the digest was rewritten",
        )
    return Verification(digest.stream, True, len(covered), digest.seq)
