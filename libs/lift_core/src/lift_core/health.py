"""``/health/live`` and ``/health/ready``: readiness runs each registered dependency check."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[object]]


class Readiness:
    """Runs every check concurrently with a timeout; caches the verdict for a short while."""

    def __init__(
        self, checks: Mapping[str, Check], *, timeout: float = 2.0, cache_seconds: float = 2.0
    ) -> None:
        self.checks = dict(checks)
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, bool, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def run(self) -> tuple[bool, dict[str, Any]]:
        async with self._lock:
            now = time.monotonic()
            if self._cached and now - self._cached[0] < self.cache_seconds:
                return self._cached[1], self._cached[2]
            results = await asyncio.gather(*(self._one(c) for c in self.checks.values()))
            detail = dict(zip(self.checks, results, strict=True))
            ok = all(r["status"] == "pass" for r in results)
            self._cached = (time.monotonic(), ok, detail)
            return ok, detail

    async def _one(self, check: Check) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(check(), self.timeout)
        except TimeoutError:
            return {"status": "fail", "error": f"timed out after {self.timeout}s"}
        except Exception as exc:  # a failing dependency must never crash the probe
            return {"status": "fail", "error": type(exc).__name__}
        return {"status": "pass", "duration_ms": round((time.perf_counter() - started) * 1e3, 2)}


def health_router(readiness: Readiness) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live", summary="Liveness: the process is serving")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready", summary="Readiness: every dependency check passes")
    async def ready() -> JSONResponse:
        ok, checks = await readiness.run()
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    return router
