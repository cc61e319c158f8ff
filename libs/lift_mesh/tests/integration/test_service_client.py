"""ServiceClient against real local HTTP servers: breaking, retrying, balancing, limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from pydantic import BaseModel

from lift_core import context
from lift_mesh import (
    ConflictError,
    MeshSettings,
    MeshTimeoutError,
    NotFoundError,
    ServerError,
    ServiceClient,
    UnavailableError,
    ValidationError,
)

pytestmark = pytest.mark.integration
Servers = Callable[[int], list[tuple[str, Any]]]
MeshFactory = Callable[..., MeshSettings]


class Charge(BaseModel):
    instance: str
    amount: int


async def test_response_model_and_typed_errors_from_problem_json(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    async with ServiceClient("banking", settings=mesh([url])) as client:
        charge = await client.get("/payments/1", response_model=Charge)
        assert charge == Charge(instance="i0", amount=5)
        for status, error in ((404, NotFoundError), (409, ConflictError), (422, ValidationError)):
            b.status = status
            with pytest.raises(error) as caught:
                await client.get("/payments/1")
            assert caught.value.status == status
            assert caught.value.problem["detail"] == f"i0 says {status}"
        assert caught.value.problem["errors"][0]["field"] == "body.amount"


async def test_breaker_trips_on_async_failures_fails_fast_and_recovers_through_half_open(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    settings = mesh([url], max_attempts=1, breaker_fail_max=3, breaker_reset_seconds=0.3)
    async with ServiceClient("banking", settings=settings) as client:
        b.status = 500
        for _ in range(3):
            with pytest.raises(ServerError):
                await client.get("/x")
        assert client.breaker(url).state == "open"
        before = b.requests
        started = time.perf_counter()
        with pytest.raises(UnavailableError):
            await client.get("/x")
        fail_fast = time.perf_counter() - started
        assert b.requests == before  # no network call while open
        assert fail_fast < 0.01
        await asyncio.sleep(0.35)
        b.status = 200
        assert (await client.get("/x"))["instance"] == "i0"  # the half-open probe
        assert client.breaker(url).state == "closed"
    states = [(old, new) for _, old, new in client.stats.transitions]
    assert states == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]


async def test_an_instance_that_outlasts_the_whole_call_budget_trips_the_breaker(
    servers: Servers, mesh: MeshFactory
) -> None:
    """The attempt timeout is longer than the call's budget here, so each call ends by the
    budget cancelling the attempt. Those count as failures: before the fix they counted
    as successes and reset the breaker, and a banking that always answered too late never
    tripped e-commerce's breaker (found by the latency chaos scenario)."""
    [(url, b)] = servers(1)
    b.delay = 1.0
    settings = mesh(
        [url],
        max_attempts=1,
        attempt_timeout_seconds=5.0,
        call_timeout_seconds=0.1,
        breaker_fail_max=3,
    )
    async with ServiceClient("banking", settings=settings) as client:
        for _ in range(3):
            with pytest.raises(MeshTimeoutError):
                await client.get("/x")
        assert client.breaker(url).state == "open"
        sent = b.requests
        with pytest.raises(UnavailableError):
            await client.get("/x")
        # Fails fast: the open breaker sends nothing, so nothing waits out the 0.1 s budget
        # (counted, not timed: a loaded CI machine once took 0.39 s to raise).
        assert b.requests == sent


async def test_a_call_cancelled_by_its_caller_gives_the_breaker_no_verdict(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    b.delay = 1.0
    settings = mesh([url], max_attempts=1, call_timeout_seconds=5.0, breaker_fail_max=2)
    async with ServiceClient("banking", settings=settings) as client:
        for _ in range(3):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):  # the caller gives up, not the client
                    await client.get("/x")
        assert client.breaker(url).state == "closed"


async def test_client_errors_do_not_count_against_the_breaker(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    b.status = 404
    async with ServiceClient("banking", settings=mesh([url], breaker_fail_max=2)) as client:
        for _ in range(5):
            with pytest.raises(NotFoundError):
                await client.get("/x")
        assert client.breaker(url).state == "closed"


async def test_half_open_admits_a_bounded_number_of_probes(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    settings = mesh(
        [url],
        max_attempts=1,
        breaker_fail_max=1,
        breaker_reset_seconds=0.1,
        breaker_half_open_probes=2,
    )
    async with ServiceClient("banking", settings=settings) as client:
        b.status = 500
        with pytest.raises(ServerError):
            await client.get("/x")
        await asyncio.sleep(0.15)
        b.status, b.delay = 200, 0.2
        before = b.requests
        results = await asyncio.gather(
            *(client.get("/x") for _ in range(6)), return_exceptions=True
        )
    assert b.requests - before == 2
    assert sum(isinstance(r, UnavailableError) for r in results) == 4


async def test_fifty_concurrent_slow_calls_through_one_breaker_are_not_serialized(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    b.delay = 0.2
    async with ServiceClient("banking", settings=mesh([url])) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(client.get("/slow") for _ in range(50)))
        elapsed = time.perf_counter() - started
    assert len(results) == 50
    assert b.requests == 50
    assert elapsed < 1.0, f"50 calls of 0.2 s took {elapsed:.2f} s"  # serialized: 10 s


async def test_post_without_idempotency_key_is_never_retried(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    async with ServiceClient("banking", settings=mesh([url], max_attempts=3)) as client:
        b.fail_first = 10
        with pytest.raises(ServerError):
            await client.post("/payments", json={"amount": 5})
        assert b.requests == 1
        b.fail_first, b.requests = 2, 0
        result = await client.post("/payments", json={"amount": 5}, idempotency_key="pay-1")
    assert result["instance"] == "i0"
    assert b.requests == 3
    assert {h["idempotency-key"] for h in b.headers[-3:]} == {"pay-1"}


async def test_retry_after_is_honoured(servers: Servers, mesh: MeshFactory) -> None:
    [(url, b)] = servers(1)
    b.fail_first, b.retry_after = 1, "1"
    settings = mesh([url], backoff_cap_seconds=2.0)
    async with ServiceClient("banking", settings=settings) as client:
        started = time.perf_counter()
        await client.get("/x")
    assert time.perf_counter() - started >= 0.95


async def test_retries_stay_within_budget_during_a_total_outage(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    b.status = 503
    settings = mesh(
        [url],
        max_attempts=3,
        retry_budget_ratio=0.2,
        retry_budget_min_per_second=0.5,
        retry_budget_window_seconds=10,
        breaker_fail_max=10_000,
    )
    async with ServiceClient("banking", settings=settings) as client:
        for _ in range(100):
            with pytest.raises(ServerError):
                await client.get("/x")
    # Without a budget: 300 requests. With it: 100 + at most 20% + the 5-retry floor.
    assert b.requests <= 100 + 20 + 5
    assert client.stats.retries == b.requests - 100
    assert client.stats.rejections["retry_budget"] >= 70


async def test_a_dead_instance_trips_its_own_breaker_and_calls_go_to_the_live_one(
    servers: Servers, mesh: MeshFactory, dead_url: str
) -> None:
    [(good, b)] = servers(1)
    settings = mesh([good, dead_url], max_attempts=2, breaker_fail_max=2)
    async with ServiceClient("banking", settings=settings) as client:
        for _ in range(20):
            assert (await client.get("/x"))["instance"] == "i0"
        assert client.breaker(dead_url).state == "open"
        assert client.breaker(good).state == "closed"
    assert b.requests == 20


async def test_bulkhead_bounds_concurrency_and_rejects_when_full(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    b.delay = 0.3
    settings = mesh([url], bulkhead_max_concurrent=2, bulkhead_max_wait_seconds=0.05)
    async with ServiceClient("banking", settings=settings) as client:
        results = await asyncio.gather(
            *(client.get("/x") for _ in range(5)), return_exceptions=True
        )
    assert sum(isinstance(r, dict) for r in results) == 2
    assert sum(isinstance(r, UnavailableError) for r in results) == 3
    assert client.stats.rejections["bulkhead"] == 3
    assert b.requests == 2


async def test_total_timeout_raises_a_typed_timeout(servers: Servers, mesh: MeshFactory) -> None:
    [(url, b)] = servers(1)
    b.delay = 1.0
    settings = mesh([url], call_timeout_seconds=0.2, attempt_timeout_seconds=0.15)
    async with ServiceClient("banking", settings=settings) as client:
        started = time.perf_counter()
        with pytest.raises(MeshTimeoutError):
            await client.get("/x")
    assert time.perf_counter() - started < 0.5


async def test_calls_go_round_robin_and_away_from_a_slow_instance(
    servers: Servers, mesh: MeshFactory
) -> None:
    started = servers(3)
    urls = [u for u, _ in started]
    async with ServiceClient("banking", settings=mesh(urls)) as client:
        for _ in range(30):
            await client.get("/x")
        assert [b.requests for _, b in started] == [10, 10, 10]
        for _, b in started:
            b.requests = 0
        started[0][1].delay = 0.3  # one slow instance collects outstanding calls
        tasks = []
        for _ in range(30):  # staggered: fast instances finish between launches
            tasks.append(asyncio.create_task(client.get("/x")))
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)
        started[0][1].delay = 0.0
    slow, *fast = [b.requests for _, b in started]
    assert slow <= 5, (slow, fast)  # blind round robin would give 10


async def test_context_credentials_and_trace_travel_with_the_call(
    servers: Servers, mesh: MeshFactory, spans: Any
) -> None:
    [(url, b)] = servers(1)
    ctx = context.RequestContext(request_id="req-9", correlation_id="corr-9")
    ctx.principal = context.Principal(subject="alice", tenant_id="acme", token="user-token")
    ctx.deadline = time.monotonic() + 2.5
    token = context.set_current(ctx)
    try:
        with trace.get_tracer("test").start_as_current_span("caller") as span:
            async with ServiceClient("banking", settings=mesh([url])) as client:
                await client.get("/x")
    finally:
        context.reset(token)
    sent = b.headers[-1]
    assert sent["authorization"] == "Bearer user-token"
    assert sent["x-request-id"] == "req-9"
    assert sent["x-correlation-id"] == "corr-9"
    assert 0 < int(sent["x-lift-deadline-ms"]) <= 2500
    assert sent["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")
    # The call itself is an httpx client span inside the caller's trace.
    [client_span] = [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]
    assert client_span.context.trace_id == span.get_span_context().trace_id
    attributes = dict(client_span.attributes or {})
    assert 200 in (attributes.get("http.response.status_code"), attributes.get("http.status_code"))


# Where nothing exports spans, httpx is not instrumented: the client's own inject() must
# still carry the trace. Telemetry is once per process, and this one exports: a subprocess.
_UNINSTRUMENTED_CALL = """
import asyncio, sys
import httpx
from opentelemetry import trace
from lift_core.telemetry import configure_telemetry
from lift_mesh import MeshSettings, ServiceClient
configure_telemetry("probe")
sent = []

def answer(request):
    sent.append(request.headers["traceparent"])
    return httpx.Response(200, json={})

async def call():
    mock = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    client = ServiceClient("b", settings=MeshSettings(services={"b": ["http://b"]}), http=mock)
    with trace.get_tracer("probe").start_as_current_span("server") as span:
        await client.get("/x")
    await client.aclose()
    return format(span.get_span_context().trace_id, "032x")

trace_id = asyncio.run(call())
print("opentelemetry.instrumentation.httpx" in sys.modules, sent[0].split("-")[1] == trace_id)
"""


def test_the_trace_travels_with_the_call_when_httpx_is_not_instrumented() -> None:
    import subprocess
    import sys

    done = subprocess.run(  # noqa: S603 - our interpreter, our probe
        [sys.executable, "-c", _UNINSTRUMENTED_CALL], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "True"]


async def test_a_per_call_bearer_replaces_the_forwarded_user_token(
    servers: Servers, mesh: MeshFactory
) -> None:
    [(url, b)] = servers(1)
    ctx = context.RequestContext(request_id="req-1", correlation_id="corr-1")
    ctx.principal = context.Principal(subject="alice", tenant_id="acme", token="user-token")
    token = context.set_current(ctx)
    try:
        async with ServiceClient("banking", settings=mesh([url])) as client:
            await client.get("/x", bearer="service-token")
            await client.get("/x")
    finally:
        context.reset(token)
    assert [h["authorization"] for h in b.headers] == ["Bearer service-token", "Bearer user-token"]


async def test_dev_issuer_tokens_are_fetched_once_per_tenant_and_refreshed_before_expiry(
    issuer: Any,
) -> None:
    import httpx

    from lift_core.devidentity import create_identity_app
    from lift_mesh import DevIssuerTokens

    issuer.settings = issuer.settings.model_copy(update={"token_ttl_seconds": 120})
    calls: list[str] = []
    app = create_identity_app(issuer)

    async def count(request: httpx.Request) -> None:
        calls.append(request.url.path)

    now = [0.0]
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://identity",
        event_hooks={"request": [count]},
    )
    tokens = DevIssuerTokens(
        "http://identity", subject="ecommerce", http=http, clock=lambda: now[0]
    )
    first = await asyncio.gather(*(tokens.token("acme") for _ in range(5)))
    assert len(set(first)) == 1
    assert len(calls) == 1
    await tokens.token("globex")
    assert len(calls) == 2
    now[0] = 61.0  # 120 s tokens are refreshed 60 s before they expire
    assert await tokens.token("acme") != first[0]  # a fresh jti
    assert len(calls) == 3
    await http.aclose()
