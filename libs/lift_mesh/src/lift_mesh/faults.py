"""Client-side fault injection for chaos tests: latency, errors and aborts per target.

Only usable when ``LIFT_FAULT_INJECTION_ENABLED`` is on, which lift_core's settings refuse
outside dev/test.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import httpx


class FaultInjectionDisabled(RuntimeError):
    """Faults were set on an injector that is not enabled."""


@dataclass(frozen=True, slots=True)
class Faults:
    latency_seconds: float = 0.0
    error_rate: float = 0.0  # answered with a synthetic 503 problem
    abort_rate: float = 0.0  # the connection "fails" before any request is sent


class FaultInjector:
    def __init__(self, *, enabled: bool, rng: random.Random | None = None) -> None:
        self.enabled = enabled
        self.rng = rng or random.Random()  # noqa: S311 - chaos, not security
        self._faults: dict[str, Faults] = {}

    def set(self, target: str, faults: Faults) -> None:
        if not self.enabled:
            raise FaultInjectionDisabled("set LIFT_FAULT_INJECTION_ENABLED (dev/test only)")
        self._faults[target] = faults

    def clear(self) -> None:
        self._faults.clear()

    async def apply(self, target: str, request: httpx.Request) -> httpx.Response | None:
        faults = self._faults.get(target) if self.enabled else None
        if faults is None:
            return None
        if faults.latency_seconds:
            await asyncio.sleep(faults.latency_seconds)
        if self.rng.random() < faults.abort_rate:
            raise httpx.ConnectError("injected abort", request=request)
        if self.rng.random() < faults.error_rate:
            return httpx.Response(
                503,
                json={"type": "urn:lift:problem:injected", "title": "Injected", "status": 503},
                headers={"content-type": "application/problem+json"},
                request=request,
            )
        return None
