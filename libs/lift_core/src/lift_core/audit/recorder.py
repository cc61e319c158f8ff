"""``audit.record(...)``: callable anywhere in a request; the context supplies the rest.

Actor, tenant, request id, trace id and source address come from the request context.
Details pass through the data-protection classification (sensitive keys and card, SSN and
e-mail shapes are redacted) before anything is hashed or written: audit details carry
references, never the protected values themselves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lift_core import context
from lift_core.audit.chain import AuditEvent, compute_hash
from lift_core.audit.log import Within
from lift_core.audit.policy import AuditPolicy
from lift_core.audit.store import DynamoAuditStore, TrailFilter
from lift_core.clock import Clock, iso, utc_now
from lift_core.redaction import redact

ANONYMOUS_TENANT = "_anonymous"


class AuditRecorder:
    def __init__(
        self,
        store: DynamoAuditStore,
        policy: AuditPolicy,
        *,
        service: str,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.policy = policy
        self.service = service
        self.clock = clock

    def stream(self, tenant: str, retention_days: int) -> str:
        return f"{tenant}/{retention_days}d"

    def streams(self, tenant: str) -> list[str]:
        return [self.stream(tenant, days) for days in self.policy.retention_classes()]

    def trail(
        self, tenant: str, where: TrailFilter, *, limit: int, position: Any = None
    ) -> tuple[list[AuditEvent], Any]:
        """Up to ``limit`` of the tenant's events matching ``where``, newest first within
        each stream, streams one after another. ``position`` is where the previous page
        ended (``[stream index, last seq]``); the one returned is None at the end."""
        streams = self.streams(tenant)
        index, after = position if position is not None else (0, None)
        items: list[AuditEvent] = []
        while index < len(streams) and len(items) < limit:
            events, last = self.store.page(
                streams[index], where=where, limit=limit - len(items), start_after=after
            )
            items.extend(events)
            if last is not None:
                return items, [index, last]
            index, after = index + 1, None
        return items, ([index, None] if index < len(streams) else None)

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
    ) -> AuditEvent:
        """Append one event to the tenant's chain (blocking: call from sync code or via
        ``arecord`` from async code); with ``within``, inside that write's transaction."""
        ctx = context.current()
        principal = ctx.principal if ctx else None
        tenant = tenant or (principal.tenant_id if principal else ANONYMOUS_TENANT)
        rule = self.policy.rule(action)
        template = AuditEvent(
            stream=self.stream(tenant, rule.retention_days),
            seq=0,
            ts="",
            tenant=tenant,
            service=self.service,
            actor=actor or (principal.subject if principal else "anonymous"),
            action=action,
            resource=resource,
            outcome=outcome,
            retain_days=rule.retention_days,
            controls=rule.controls,
            details=redact(dict(details or {})),
            request_id=ctx.request_id if ctx else None,
            trace_id=ctx.trace_id if ctx and ctx.trace_id else None,
            source_ip=ctx.client_ip if ctx else None,
            sensitive=rule.sensitive,
            emergency=rule.emergency,
        )

        def build(seq: int, prev_hash: str, prev_ts: str | None) -> AuditEvent:
            event = dataclasses.replace(
                template, seq=seq, ts=iso(self.clock()), prev_hash=prev_hash, prev_ts=prev_ts
            )
            return dataclasses.replace(event, hash=compute_hash(event))

        if within is None:
            return self.store.append(template.stream, build)
        return self.store.append_within(template.stream, build, within)

    async def arecord(
        self,
        action: str,
        resource: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
        tenant: str | None = None,
    ) -> AuditEvent:
        return await context.run_blocking(
            self.record, action, resource, outcome, details, actor=actor, tenant=tenant
        )
