"""The compliance routes every service mounts, for the auditor and compliance roles only."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from lift_core.audit.chain import AuditEvent
from lift_core.audit.policy import FRAMEWORKS
from lift_core.audit.recorder import ANONYMOUS_TENANT, AuditRecorder
from lift_core.audit.store import TrailFilter
from lift_core.audit.verify import Digest, Verification, prove, verify_events
from lift_core.auth import CurrentPrincipal, require_roles
from lift_core.errors import NotFound
from lift_core.pagination import CursorPage, PageCursor
from lift_core.types import UtcDateTime

AUDIT_ROLES = ("auditor", "compliance")


class AuditEventOut(BaseModel):
    stream: str
    seq: int
    ts: str
    actor: str
    action: str
    resource: str
    outcome: str
    controls: list[str]
    details: dict[str, Any]
    request_id: str | None
    trace_id: str | None
    source_ip: str | None
    sensitive: bool
    emergency: bool
    hash: str
    prev_hash: str


class AuditFilter(BaseModel):
    start: UtcDateTime | None = None
    end: UtcDateTime | None = None
    actor: str | None = Field(default=None, max_length=256)
    resource: str | None = Field(default=None, max_length=256)
    action: str | None = Field(default=None, max_length=128)
    limit: int = Field(default=50, ge=1, le=200)


class VerificationOut(BaseModel):
    ok: bool
    streams: list[dict[str, Any]]


class DigestOut(
    BaseModel,
    json_schema_extra={
        "examples": [
            {
                "stream": "audit#2026-12",
                "seq": 42,
                "hash": "9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b9f2b",
                "taken_at": "2026-12-03T09:00:00Z",
            }
        ]
    },
):
    stream: str
    seq: int
    hash: str
    taken_at: str


def _out(e: AuditEvent) -> AuditEventOut:
    return AuditEventOut(
        stream=e.stream,
        seq=e.seq,
        ts=e.ts,
        actor=e.actor,
        action=e.action,
        resource=e.resource,
        outcome=e.outcome,
        controls=list(e.controls),
        details=e.details,
        request_id=e.request_id,
        trace_id=e.trace_id,
        source_ip=e.source_ip,
        sensitive=e.sensitive,
        emergency=e.emergency,
        hash=e.hash,
        prev_hash=e.prev_hash,
    )


def _verification(v: Verification) -> dict[str, Any]:
    return {
        "stream": v.stream,
        "ok": v.ok,
        "checked": v.checked,
        "head_seq": v.head_seq,
        "first_broken_seq": v.first_broken_seq,
        "reason": v.reason,
        "detail": v.detail,
    }


def compliance_router(recorder: AuditRecorder) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1/compliance",
        tags=["compliance"],
        dependencies=[Depends(require_roles(*AUDIT_ROLES))],
    )
    store = recorder.store

    @router.get("/audit-trail", summary="The tenant's audit events, newest first")
    def audit_trail(
        principal: CurrentPrincipal, f: Annotated[AuditFilter, Query()], cursor: PageCursor
    ) -> CursorPage[AuditEventOut]:
        where = TrailFilter(f.start, f.end, f.actor, f.resource, f.action)
        items, last = recorder.trail(
            principal.tenant_id, where, limit=f.limit, position=cursor.start
        )
        recorder.record("audit.read", "audit-trail", "success", {"returned": len(items)})
        return cursor.answer([_out(e) for e in items], last)

    @router.get("/audit-trail/verify", summary="Recompute every chain of the tenant")
    def verify(principal: CurrentPrincipal) -> VerificationOut:
        results = [verify_events(s, store.read(s)) for s in recorder.streams(principal.tenant_id)]
        return VerificationOut(
            ok=all(r.ok for r in results), streams=[_verification(r) for r in results]
        )

    @router.get("/audit-trail/digest", summary="Head sequence and hash of every chain; keep it")
    def digest(principal: CurrentPrincipal) -> list[DigestOut]:
        now = recorder.clock().isoformat(timespec="seconds")
        out = []
        for stream in recorder.streams(principal.tenant_id):
            seq, head_hash, _ = store.head(stream)
            out.append(DigestOut(stream=stream, seq=seq, hash=head_hash, taken_at=now))
        return out

    @router.post("/audit-trail/digest/verify", summary="Prove history against an earlier digest")
    def prove_digest(principal: CurrentPrincipal, body: DigestOut) -> VerificationOut:
        if body.stream not in recorder.streams(principal.tenant_id):
            raise NotFound("No such audit stream for this tenant.")
        result = prove(
            Digest(body.stream, body.seq, body.hash, body.taken_at), store.read(body.stream)
        )
        return VerificationOut(ok=result.ok, streams=[_verification(result)])

    @router.get(
        "/reports/{framework}",
        summary="Compliance report: pci-dss, hipaa, soc2, gdpr",
        # The path names a framework, not a stored object: the report is the caller's tenant's.
        openapi_extra={"x-lift-access": "caller"},
    )
    def report(principal: CurrentPrincipal, framework: str) -> dict[str, Any]:
        control = FRAMEWORKS.get(framework)
        if control is None:
            raise NotFound(f"Unknown framework; one of: {', '.join(sorted(FRAMEWORKS))}.")
        streams = recorder.streams(principal.tenant_id)
        events = [e for s in streams for e in store.read(s)]
        tagged = [e for e in events if control in e.controls]
        anonymous = [
            e
            for s in recorder.streams(ANONYMOUS_TENANT)
            for e in store.read(s)
            if e.action.startswith("auth.")
        ]
        integrity = [verify_events(s, store.read(s)) for s in streams]
        return {
            "framework": control,
            "tenant": principal.tenant_id,
            "events": len(tagged),
            "by_action_and_outcome": {
                f"{a}:{o}": n
                for (a, o), n in sorted(Counter((e.action, e.outcome) for e in tagged).items())
            },
            "sensitive_access": sum(e.sensitive for e in tagged),
            "failed_authentications": sum(
                e.action.startswith("auth.") and e.outcome == "denied" for e in events
            ),
            "unattributed_failed_authentications": len(anonymous),
            "emergency_access": [_out(e).model_dump() for e in tagged if e.emergency],
            "integrity": {
                "ok": all(v.ok for v in integrity),
                "streams": [_verification(v) for v in integrity],
            },
        }

    return router
