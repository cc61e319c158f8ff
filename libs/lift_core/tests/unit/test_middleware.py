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


@pytest.mark.parametrize(
    ("peer", "logged"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::1"),
        # What a forwarded-for header could carry through a trusted proxy: never logged.
        ("4111 1111 1111 1111", None),
        ("4111111111111111", None),  # digits only: shaped like neither kind of address
        ("deadbeefcafe", None),
        ('1.2.3.4", "injected": "x', None),
        ("", None),
    ],
)
async def test_the_access_line_logs_the_client_address_only_when_it_is_an_address(
    make_app: Any, mint: Mint, json_logs: list[str], peer: str, logged: str | None
) -> None:
    transport = httpx.ASGITransport(app=make_app(), client=(peer, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/api/v1/whoami", headers=_auth(mint))).status_code == 200
    [line] = [json.loads(x) for x in json_logs if '"lift.access"' in x]
    assert line["http"]["client_ip"] == logged
    assert "injected" not in line
    assert all("4111" not in x and "deadbeef" not in x for x in json_logs)


def test_only_fields_a_record_names_as_trusted_skip_redaction() -> None:
    import logging

    from lift_core.logging import JsonFormatter

    def formatted(**extra: Any) -> dict[str, Any]:
        record = logging.makeLogRecord({"name": "x", "msg": "card 4111111111111111", **extra})
        return dict(json.loads(JsonFormatter("svc").format(record)))

    plain = formatted(detail={"pan": "4111111111111111"})
    assert "4111111111111111" not in json.dumps(plain)
    vouched = formatted(http={"route": "/r/{id}"}, _trusted=("http",))
    assert vouched["http"] == {"route": "/r/{id}"}
    assert "4111111111111111" not in vouched["message"]  # the message was not vouched for


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


async def test_security_headers_on_api_and_a_self_only_csp_on_offline_docs(
    client: httpx.AsyncClient, mint: Mint
) -> None:
    api = await client.get("/api/v1/whoami", headers=_auth(mint))
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert "max-age" in api.headers["strict-transport-security"]
    docs = await client.get("/docs")
    policy = docs.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; script-src 'self' 'unsafe-inline';")
    assert "http" not in policy  # no other origin: the assets are the service's own
    assert docs.headers["x-content-type-options"] == "nosniff"
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text
    assert "persistAuthorization" not in docs.text  # no pasted token left in the browser
    redoc = await client.get("/redoc")
    assert "/docs/assets/redoc.standalone.js" in redoc.text
    assert "fonts.googleapis" not in redoc.text


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


_PAYMENT = {"amount": 5, "currency": "EUR"}


@pytest.mark.parametrize(
    "case",
    [
        (b"[" * 33 + b"]" * 33, "application/json", 400, "json-too-deep"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "application/json", 400, "json-too-deep"),
        (b"[" * 100_000, "application/json", 400, "json-too-deep"),
        (b'{"amount": NaN, "currency": "EUR"}', "application/json", 400, "malformed-json"),
        (b'{"amount": Infinity, "currency": "EUR"}', "application/json", 400, "malformed-json"),
        (
            b'{"amount": ' + b"9" * 5000 + b', "currency": "EUR"}',
            "application/json",
            400,
            "malformed-json",
        ),
        (b"\xff\xfe{}", "application/json", 400, "malformed-json"),
        (
            b"amount=5&currency=EUR",
            "application/x-www-form-urlencoded",
            415,
            "unsupported-media-type",
        ),
        (json.dumps(_PAYMENT).encode(), "text/plain", 415, "unsupported-media-type"),
        (json.dumps(_PAYMENT).encode(), "", 415, "unsupported-media-type"),
    ],
)
@pytest.mark.parametrize("idempotency_key", [None, "k-1"])
async def test_hostile_bodies_are_refused_before_anything_parses_them(
    make_app: Any,
    mint: Mint,
    probe: Any,
    case: tuple[bytes, str, int, str],
    idempotency_key: str | None,
) -> None:
    """With or without an Idempotency-Key (whose fingerprint once recursed into a deep body
    and answered 500), the answer is the same 4xx and the route never runs."""
    body, content_type, status, slug = case
    headers = {**_auth(mint), "content-type": content_type}
    if idempotency_key:
        headers["idempotency-key"] = idempotency_key
    async with _client(make_app(settings_overrides={"max_body_bytes": 200_000})) as c:
        response = await c.post("/api/v1/payments", content=body, headers=headers)
    assert (response.status_code, response.json()["type"]) == (status, f"urn:lift:problem:{slug}")
    assert probe.executions == 0


@pytest.mark.parametrize("depth", [1, 16, 32])
async def test_json_within_the_depth_limit_reaches_the_route(
    client: httpx.AsyncClient, mint: Mint, depth: int
) -> None:
    inner: Any = 0
    for _ in range(depth - 1):  # the object itself is the first level
        inner = [inner]
    body = json.dumps({"amount": 5, "currency": "EUR", "x": inner})
    response = await client.post(
        "/api/v1/payments",
        content=body,
        headers={**_auth(mint), "content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text


def test_the_depth_check_ignores_brackets_inside_strings() -> None:
    from lift_core.bodyguard import json_too_deep

    assert not json_too_deep(json.dumps({"note": '[[[[\\"{{{{' * 50}).encode())
    assert not json_too_deep(json.dumps([[[]], {"a": [{}]}]).encode(), max_depth=4)
    assert json_too_deep(json.dumps([[[[[]]]]]).encode(), max_depth=4)


async def test_timeout_answers_504_and_cancels_the_work(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    app = make_app(settings_overrides={"request_timeout_seconds": 0.05})
    async with _client(app) as c:
        response = await c.post("/api/v1/wait", headers=_auth(mint))
    assert response.status_code == 504
    assert response.json()["type"] == "urn:lift:problem:timeout"
    assert probe.cancelled


async def test_a_services_deadline_shortens_the_budget(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    app = make_app(settings_overrides={"request_timeout_seconds": 30})
    service = {"Authorization": f"Bearer {mint('acme', 'ecommerce', roles=['service'])}"}
    async with _client(app) as c:
        spent = await c.post("/api/v1/wait", headers={**service, "X-Lift-Deadline-Ms": "0"})
        assert spent.status_code == 504
        assert probe.executions == 0  # an already-expired deadline does no work at all
        short = await c.post("/api/v1/wait", headers={**service, "X-Lift-Deadline-Ms": "50"})
        assert short.status_code == 504
        assert probe.cancelled


@pytest.mark.parametrize("deadline", ["0", "-1", "1", "-99999999999"])
async def test_a_client_cannot_force_a_timeout_with_the_deadline_header(
    make_app: Any, mint: Mint, probe: Any, deadline: str
) -> None:
    app = make_app(settings_overrides={"client_deadline_floor_seconds": 1.0})
    async with _client(app) as c:
        task = asyncio.create_task(
            c.post("/api/v1/wait", headers={**_auth(mint), "X-Lift-Deadline-Ms": deadline})
        )
        while probe.executions == 0:  # the route runs: the header did not cut it short
            await asyncio.sleep(0.001)
        probe.release.set()
        response = await task
    assert response.status_code == 200


@pytest.mark.parametrize(
    "deadline", ["soon", "1.5", "1" * 40, "", "+5", "0x10", "--5", "\u00b2", "٣"]
)
async def test_a_malformed_deadline_header_is_400(
    client: httpx.AsyncClient, mint: Mint, deadline: str
) -> None:
    response = await client.post(
        "/api/v1/wait",
        headers=[
            (b"authorization", _auth(mint)["Authorization"].encode()),
            (b"x-lift-deadline-ms", deadline.encode()),
        ],
    )
    assert (response.status_code, response.json()["type"]) == (400, "urn:lift:problem:bad-request")


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
