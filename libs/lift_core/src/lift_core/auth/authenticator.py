"""Authenticates every request except health and docs; the tenant comes from the token.

``LiftMiddleware`` calls it with the two headers it reads, in its one pass over them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import Send

from lift_core.auth.jwt import JwtVerifier
from lift_core.context import Principal
from lift_core.errors import ProblemError, send_problem

if TYPE_CHECKING:
    from lift_core.audit.recorder import AuditRecorder


class Authenticator:
    """Refusals are audited when a recorder is given: a bad token as ``auth.failed`` in the
    anonymous stream (its tenant cannot be trusted), a tenant mismatch as ``auth.denied``
    in the token's tenant."""

    def __init__(self, verifier: JwtVerifier, *, audit: AuditRecorder | None = None) -> None:
        self.verifier = verifier
        self.audit = audit

    async def authenticate(
        self, path: str, authorization: str, claimed_tenant: str | None, send: Send
    ) -> Principal | None:
        """The verified principal, or None once the refusal (401 or 403) has been sent."""
        scheme, _, token = authorization.partition(" ")
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
                await self.audit.arecord("auth.failed", path, "denied", {"reason": exc.detail})
            await send_problem(
                send, 401, slug="unauthorized", detail=exc.detail, headers=exc.headers
            )
            return None
        if claimed_tenant is not None and claimed_tenant != principal.tenant_id:
            if self.audit is not None:
                await self.audit.arecord(
                    "auth.denied",
                    path,
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
            return None
        return principal
