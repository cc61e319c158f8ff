"""A small app built by create_app with routes that exercise every part of the stack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, Field

from lift_core import LiftSettings, create_app
from lift_core.auth import CurrentPrincipal, JwtVerifier, require_roles, require_scopes
from lift_core.idempotency import IdempotencyStore, InMemoryIdempotencyStore
from lift_core.ratelimit import RateLimiter


class InsufficientFunds(Exception):
    """A domain error: no HTTP in it."""


class Payment(BaseModel):
    amount: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class Probe:
    """What the routes saw, for tests to assert on."""

    def __init__(self) -> None:
        self.executions = 0
        self.release = asyncio.Event()
        self.cancelled = False


def build_router(probe: Probe) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, Any]:
        return {
            "subject": principal.subject,
            "tenant": principal.tenant_id,
            "roles": sorted(principal.roles),
        }

    @router.post("/payments", status_code=201)
    async def pay(payment: Payment, principal: CurrentPrincipal) -> dict[str, Any]:
        probe.executions += 1
        return {"n": probe.executions, "amount": payment.amount, "tenant": principal.tenant_id}

    @router.get("/payments")
    async def payments() -> list[dict[str, Any]]:
        """A second method on the path: a 405 there names both in ``Allow``."""
        return []

    @router.post("/owned")
    async def owned(
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> dict[str, Any]:
        """A route whose use case keeps the key with its operation (as banking's do)."""
        probe.executions += 1
        return {"n": probe.executions, "key": idempotency_key}

    @router.post("/accepted", status_code=202)
    async def accepted(response: Response) -> dict[str, str]:
        """Work that goes on after the answer, like an invoice banking has not settled."""
        probe.executions += 1
        response.headers["Location"] = "/api/v1/jobs/42"
        return {"status": "PENDING"}

    @router.post("/flaky")
    async def flaky() -> dict[str, int]:
        probe.executions += 1
        if probe.executions == 1:
            raise RuntimeError("database password=hunter2 leaked in a message")
        return {"n": probe.executions}

    @router.post("/overdraw")
    async def overdraw() -> None:
        raise InsufficientFunds("balance too low")

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("internal detail: /srv/secret/path")

    @router.post("/wait")
    async def wait() -> dict[str, bool]:
        probe.executions += 1
        try:
            await probe.release.wait()
        except asyncio.CancelledError:
            probe.cancelled = True
            raise
        return {"ok": True}

    @router.get("/admin", dependencies=[Depends(require_roles("admin"))])
    async def admin() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/scoped", dependencies=[Depends(require_scopes("payments:write"))])
    async def scoped() -> dict[str, bool]:
        return {"ok": True}

    return router


AppFactory = Callable[..., Any]


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def make_app(settings: LiftSettings, verifier: JwtVerifier, probe: Probe) -> AppFactory:
    def _make(
        *,
        settings_overrides: dict[str, Any] | None = None,
        store: IdempotencyStore | None = None,
        limiter: RateLimiter | None = None,
        **kwargs: Any,
    ) -> Any:
        effective = settings.model_copy(update=settings_overrides or {})
        return create_app(
            settings=effective,
            title="test",
            routers=[build_router(probe)],
            error_map={InsufficientFunds: (409, "insufficient-funds")},
            verifier=verifier,
            idempotency_store=store if store is not None else InMemoryIdempotencyStore(),
            rate_limiter=limiter,
            **kwargs,
        )

    return _make


@pytest.fixture
async def client(make_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
