"""Context, security headers, body limit, load shedding, timeout and deadline, rate limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lift_core.ratelimit import InMemoryRateLimiter

pytestmark = pytest.mark.unit
Mint = Callable[..., str]


def _auth(mint: Mint, tenant: str = "acme") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(tenant)}"}


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient, mint: Mint) -> None:
    given = await client.get("/api/v1/whoami", headers={**_auth(mint), "X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await client.get("/api/v1/whoami", headers=_auth(mint))
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await client.get("/api/v1/whoami", headers={**_auth(mint), "X-Request-ID": "x" * 500})
    assert hostile.headers["x-request-id"] != "x" * 500


async def test_access_log_is_one_json_line_with_route_template_and_no_secrets(
    client: httpx.AsyncClient, mint: Mint, json_logs: list[str]
) -> None:
    token = mint()
    await client.post(
        "/api/v1/payments",
        json={"amount": 5, "currency": "USD"},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-1"},
    )
    [line] = [json.loads(x) for x in json_logs if '"lift.access"' in x]
    assert line["http"]["route"] == "/api/v1/payments"
    assert line["http"]["status"] == 201
    assert line["request_id"] == "req-1"
    assert line["tenant_id"] == "acme"
    assert line["trace_id"]
    assert line["span_id"]
    assert all(token not in x for x in json_logs)
    assert all('"amount"' not in x for x in json_logs)


async def test_answers_given_before_routing_still_name_their_route(
    client: httpx.AsyncClient, json_logs: list[str]
) -> None:
    """Auth refuses before the router runs; the access line still names the route template
    (metrics and alarms per route see refusals), and an unknown path stays "unmatched"."""
    assert (await client.post("/api/v1/payments", json={})).status_code == 401
    assert (await client.get("/api/v1/no-such-thing")).status_code == 401
    lines = [json.loads(x) for x in json_logs if '"lift.access"' in x]
    assert [(x["http"]["route"], x["http"]["status"]) for x in lines] == [
        ("/api/v1/payments", 401),
        ("unmatched", 401),
    ]


async def test_security_headers_on_api_and_relaxed_csp_on_docs(
    client: httpx.AsyncClient, mint: Mint
) -> None:
    api = await client.get("/api/v1/whoami", headers=_auth(mint))
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert "max-age" in api.headers["strict-transport-security"]
    docs = await client.get("/docs")
    assert "content-security-policy" not in docs.headers
    assert docs.headers["x-content-type-options"] == "nosniff"


async def test_oversized_body_is_413_declared_or_streamed(make_app: Any, mint: Mint) -> None:
    app = make_app(settings_overrides={"max_body_bytes": 100})
    async with _client(app) as c:
        declared = await c.post(
            "/api/v1/payments", content=b"x" * 101, headers={**_auth(mint), "content-type": "a/b"}
        )
        assert declared.status_code == 413

        async def chunks() -> Any:
            for _ in range(5):
                yield b"{" + b" " * 40

        streamed = await c.post(
            "/api/v1/payments",
            content=chunks(),
            headers={**_auth(mint), "content-type": "application/json"},
        )
        assert streamed.status_code == 413
        assert streamed.headers["content-type"] == "application/problem+json"


async def test_timeout_answers_504_and_cancels_the_work(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    app = make_app(settings_overrides={"request_timeout_seconds": 0.05})
    async with _client(app) as c:
        response = await c.post("/api/v1/wait", headers=_auth(mint))
    assert response.status_code == 504
    assert response.json()["type"] == "urn:lift:problem:timeout"
    assert probe.cancelled


async def test_incoming_deadline_shortens_the_budget(make_app: Any, mint: Mint, probe: Any) -> None:
    app = make_app(settings_overrides={"request_timeout_seconds": 30})
    async with _client(app) as c:
        spent = await c.post("/api/v1/wait", headers={**_auth(mint), "X-Lift-Deadline-Ms": "0"})
        assert spent.status_code == 504
        assert probe.executions == 0  # an already-expired deadline does no work at all
        short = await c.post("/api/v1/wait", headers={**_auth(mint), "X-Lift-Deadline-Ms": "50"})
        assert short.status_code == 504
        assert probe.cancelled
        bad = await c.post("/api/v1/wait", headers={**_auth(mint), "X-Lift-Deadline-Ms": "soon"})
        assert bad.status_code == 400


async def test_load_shedding_answers_503_with_retry_after(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    app = make_app(settings_overrides={"max_in_flight": 2})
    async with _client(app) as c:
        held = [asyncio.create_task(c.post("/api/v1/wait", headers=_auth(mint))) for _ in range(2)]
        while probe.executions < 2:
            await asyncio.sleep(0.001)
        shed = await c.get("/api/v1/whoami", headers=_auth(mint))
        live = await c.get("/health/live")
        probe.release.set()
        done = await asyncio.gather(*held)
    assert shed.status_code == 503
    assert shed.headers["retry-after"] == "1"
    assert live.status_code == 200
    assert [r.status_code for r in done] == [200, 200]


async def test_rate_limit_is_per_tenant_with_headers(make_app: Any, mint: Mint) -> None:
    limiter = InMemoryRateLimiter(limit=3, window_seconds=60, clock=lambda: 1_800_000_030.0)
    app = make_app(limiter=limiter)
    async with _client(app) as c:
        acme = [await c.get("/api/v1/whoami", headers=_auth(mint, "acme")) for _ in range(4)]
        globex = await c.get("/api/v1/whoami", headers=_auth(mint, "globex"))
    assert [r.status_code for r in acme] == [200, 200, 200, 429]
    assert [r.headers["ratelimit-remaining"] for r in acme[:3]] == ["2", "1", "0"]
    assert acme[0].headers["ratelimit-limit"] == "3"
    limited = acme[3]
    assert limited.headers["retry-after"] == "30"
    assert limited.json()["type"] == "urn:lift:problem:rate-limited"
    assert globex.status_code == 200
