"""Authenticates every request except health and docs; the tenant comes from the token."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from lift_core import context
from lift_core.auth.jwt import JwtVerifier

if TYPE_CHECKING:
    from lift_core.audit.recorder import AuditRecorder
from lift_core.errors import ProblemError, send_problem


class AuthMiddleware:
    """Refusals are audited when a recorder is given: a bad token as ``auth.failed`` in the
    anonymous stream (its tenant cannot be trusted), a tenant mismatch as ``auth.denied``
    in the token's tenant."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: JwtVerifier,
        public: Iterable[str],
        audit: AuditRecorder | None = None,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.public = tuple(public)
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.public):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise ProblemError(
                    "A bearer token is required.",
                    slug="unauthorized",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            principal = await self.verifier.verify(token.strip())
        except ProblemError as exc:
            if self.audit is not None:
                await self.audit.arecord(
                    "auth.failed", scope["path"], "denied", {"reason": exc.detail}
                )
            await send_problem(
                send, 401, slug="unauthorized", detail=exc.detail, headers=exc.headers
            )
            return
        claimed_tenant = headers.get("x-tenant-id")
        if claimed_tenant is not None and claimed_tenant != principal.tenant_id:
            if self.audit is not None:
                await self.audit.arecord(
                    "auth.denied",
                    scope["path"],
                    "denied",
                    {"reason": "tenant mismatch"},
                    actor=principal.subject,
                    tenant=principal.tenant_id,
                )
            await send_problem(
                send,
                403,
                slug="tenant-mismatch",
                detail="X-Tenant-ID does not match the tenant of the token.",
            )
            return
        ctx = context.current()
        if ctx is not None:
            ctx.principal = principal
        await self.app(scope, receive, send)
