"""Authenticates every request except health and docs; the tenant comes from the token."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from lift_core import context
from lift_core.auth.jwt import JwtVerifier
from lift_core.errors import ProblemError, send_problem


class AuthMiddleware:
    def __init__(self, app: ASGIApp, *, verifier: JwtVerifier, public: Iterable[str]) -> None:
        self.app = app
        self.verifier = verifier
        self.public = tuple(public)

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
            await send_problem(
                send, 401, slug="unauthorized", detail=exc.detail, headers=exc.headers
            )
            return
        claimed_tenant = headers.get("x-tenant-id")
        if claimed_tenant is not None and claimed_tenant != principal.tenant_id:
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
