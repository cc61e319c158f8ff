"""The baseline: a bare FastAPI app. It must not import lift_core (that would tax the baseline)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health/live")
    async def live() -> dict[str, str]:  # what every service has; the harness waits on it
        return {"status": "ok"}

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, Any]:
        return {"pong": True, "tenant": "acme"}

    return app
