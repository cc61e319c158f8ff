"""Server-side fault injection for chaos tests: a switch a test flips at run time.

Mounted by ``create_app`` only when ``LIFT_FAULT_INJECTION_ENABLED`` is on (dev/test only):
``PUT /internal/faults`` sets latency and an error rate for every API request, and can hold
the service's local event relay and consumers (``events_paused``: events wait in the outbox
and in the queues until it is cleared); ``DELETE /internal/faults`` clears them all.
Health, docs and the switch itself are exempt.

The switch acts on the whole service, every tenant at once, so no tenant's role may flip it:
only a platform operator, a token of the reserved tenant ``platform`` with role ``operator``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.types import ASGIApp, Receive, Scope, Send

from lift_core.auth import CurrentPrincipal
from lift_core.config import LiftSettings
from lift_core.errors import Forbidden, send_problem

FAULTS_PATH = "/internal/faults"
OPERATOR_TENANT = "platform"
OPERATOR_ROLE = "operator"


async def require_operator(principal: CurrentPrincipal) -> None:
    """The caller is a platform operator, not an admin of one tenant."""
    if principal.tenant_id != OPERATOR_TENANT or not principal.has_any_role(OPERATOR_ROLE):
        raise Forbidden("The fault switch is for platform operators.")


class ServerFaults(
    BaseModel, json_schema_extra={"examples": [{"latency_ms": 300, "error_rate": 0.3}]}
):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    events_paused: StrictBool = Field(
        default=False, description="hold the local relay and consumers (LIFT_EVENTS_LOCAL)"
    )


class FaultSwitch:
    def __init__(self, rng: random.Random | None = None) -> None:
        self.faults = ServerFaults()
        self.rng = rng or random.Random()  # noqa: S311 - chaos, not security

    @classmethod
    def when_enabled(cls, settings: LiftSettings) -> FaultSwitch | None:
        """The switch a service shares between its app and its local event jobs, or None
        outside chaos-enabled dev estates."""
        return cls() if settings.fault_injection_enabled else None

    def events_paused(self) -> bool:
        return self.faults.events_paused


class FaultInjectionMiddleware:
    def __init__(self, app: ASGIApp, *, switch: FaultSwitch, exempt: Iterable[str]) -> None:
        self.app = app
        self.switch = switch
        self.exempt = (*exempt, FAULTS_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.switch.faults
        if scope["type"] == "http" and not scope["path"].startswith(self.exempt):
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            if faults.error_rate and self.switch.rng.random() < faults.error_rate:
                await send_problem(send, 503, slug="injected-fault", detail="Injected fault.")
                return
        await self.app(scope, receive, send)


def faults_router(switch: FaultSwitch) -> APIRouter:
    router = APIRouter(tags=["chaos"], dependencies=[Depends(require_operator)])

    @router.put(FAULTS_PATH, summary="Inject latency and errors into this service (dev/test)")
    async def set_faults(faults: ServerFaults) -> ServerFaults:
        switch.faults = faults
        return faults

    @router.delete(FAULTS_PATH, status_code=204, summary="Stop injecting faults")
    async def clear_faults() -> None:
        switch.faults = ServerFaults()

    return router
