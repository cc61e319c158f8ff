"""The server-side fault switch exists only when enabled, and a test can flip it at run time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lift_core.faults import FaultSwitch

pytestmark = pytest.mark.unit
Mint = Callable[..., str]


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_switch_injects_errors_and_latency_then_clears(make_app: Any, mint: Mint) -> None:
    app = make_app(settings_overrides={"fault_injection_enabled": True})
    admin = {"Authorization": f"Bearer {mint('platform', 'oscar', roles=['operator'])}"}
    user = {"Authorization": f"Bearer {mint(roles=['customer'])}"}
    async with _client(app) as c:
        for tenant, roles in (("acme", ["customer"]), ("acme", ["admin"]), ("acme", ["operator"])):
            refused = {"Authorization": f"Bearer {mint(tenant, 'eve', roles=roles)}"}
            assert (
                await c.put("/internal/faults", json={"error_rate": 1}, headers=refused)
            ).status_code == 403
            assert (await c.delete("/internal/faults", headers=refused)).status_code == 403
        assert (
            await c.put("/internal/faults", json={"error_rate": 1}, headers=user)
        ).status_code == 403
        assert (
            await c.put("/internal/faults", json={"error_rate": 1}, headers=admin)
        ).status_code == 200
        failed = await c.get("/api/v1/whoami", headers=user)
        assert failed.status_code == 503
        assert failed.json()["type"] == "urn:lift:problem:injected-fault"
        assert (await c.get("/health/live")).status_code == 200
        await c.put("/internal/faults", json={"latency_ms": 150}, headers=admin)
        started = time.perf_counter()
        assert (await c.get("/api/v1/whoami", headers=user)).status_code == 200
        assert time.perf_counter() - started >= 0.15
        assert (await c.delete("/internal/faults", headers=admin)).status_code == 204
        assert (await c.get("/api/v1/whoami", headers=user)).status_code == 200


async def test_switch_does_not_exist_unless_enabled(client: httpx.AsyncClient, mint: Mint) -> None:
    admin = {"Authorization": f"Bearer {mint(roles=['admin'])}"}
    response = await client.put("/internal/faults", json={"error_rate": 1}, headers=admin)
    assert response.status_code == 404


async def test_the_switch_a_service_shares_holds_its_event_jobs(make_app: Any, mint: Mint) -> None:
    """The switch handed to ``create_app`` is the one the local event jobs read: holding
    events through the API is what they see; a non-boolean or unknown field is refused."""
    switch = FaultSwitch()
    app = make_app(settings_overrides={"fault_injection_enabled": True}, fault_switch=switch)
    admin = {"Authorization": f"Bearer {mint('platform', 'oscar', roles=['operator'])}"}
    async with _client(app) as c:
        for bad in ({"events_paused": "yes"}, {"events_paused": 1}, {"pause": True}):
            refused = await c.put("/internal/faults", json=bad, headers=admin)
            assert refused.status_code == 422, bad
        assert not switch.events_paused()
        held = await c.put("/internal/faults", json={"events_paused": True}, headers=admin)
        assert held.status_code == 200
        assert switch.events_paused()
        user = {"Authorization": f"Bearer {mint(roles=['customer'])}"}
        assert (await c.get("/api/v1/whoami", headers=user)).status_code == 200  # API unaffected
        await c.delete("/internal/faults", headers=admin)
        assert not switch.events_paused()
