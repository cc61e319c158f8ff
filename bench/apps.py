"""The lift_core app under load: the same route as ``bench.bare``, through the full stack."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from lift_core import LiftSettings, create_app
from lift_core.auth import CurrentPrincipal, JwtVerifier, StaticJwksSource
from lift_core.config import Environment

JWKS_ENV = "LIFT_BENCH_JWKS"


def lift_app() -> FastAPI:
    """Full stack with production defaults, except the rate limit is lifted out of the way
    (under load from one tenant it would answer 429s, which are cheaper than the route)."""
    jwks = json.loads(Path(os.environ[JWKS_ENV]).read_text())
    settings = LiftSettings(
        environment=Environment.TEST, service_name="bench", rate_limit_requests=10**9
    )
    router = APIRouter(prefix="/api/v1")

    @router.get("/ping")
    async def ping(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"pong": True, "tenant": principal.tenant_id}

    return create_app(
        settings=settings,
        title="bench",
        routers=[router],
        verifier=JwtVerifier(
            StaticJwksSource(jwks), issuer=settings.jwt_issuer, audience=settings.jwt_audience
        ),
    )
