"""Audit events and their hash chain: SHA-256 over a canonical JSON encoding.

Each event names its predecessor's hash and timestamp. The sequence number is the event's
position (the table key) and is deliberately outside the hash, so that a reordering shows
up as a broken link to a hash that exists elsewhere, not as a content change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    stream: str
    seq: int
    ts: str  # ISO 8601 UTC, microseconds
    tenant: str
    service: str
    actor: str
    action: str
    resource: str
    outcome: str
    retain_days: int
    controls: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    trace_id: str | None = None
    source_ip: str | None = None
    sensitive: bool = False
    emergency: bool = False
    prev_hash: str = GENESIS_HASH
    prev_ts: str | None = None
    hash: str = ""

    def hashed_content(self) -> dict[str, Any]:
        content = asdict(self)
        del content["seq"], content["hash"]
        content["controls"] = list(self.controls)
        return content


def compute_hash(event: AuditEvent) -> str:
    canonical = json.dumps(
        event.hashed_content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
