"""Server spans continue the caller's trace; metrics per route; readiness checks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from lift_core.health import Readiness

pytestmark = pytest.mark.unit
Mint = Callable[..., str]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_server_span_continues_the_incoming_traceparent(
    client: httpx.AsyncClient, mint: Mint, spans: InMemorySpanExporter
) -> None:
    headers = {
        "Authorization": f"Bearer {mint()}",
        "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01",
    }
    assert (await client.get("/api/v1/whoami", headers=headers)).status_code == 200
    [span] = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert [s for s in spans.get_finished_spans() if s.kind == SpanKind.INTERNAL] == []
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert span.name == "GET /api/v1/whoami"
    assert span.attributes is not None
    assert span.attributes["lift.tenant_id"] == "acme"
    assert span.attributes["http.response.status_code"] == 200


def _points(reader: InMemoryMetricReader, name: str, route: str) -> list[Any]:
    data = reader.get_metrics_data()
    assert data is not None
    return [
        point
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
        if metric.name == name
        for point in metric.data.data_points
        if (point.attributes or {}).get("http.route") == route
    ]


async def test_requests_errors_and_durations_are_recorded_per_route_and_status(
    client: httpx.AsyncClient, mint: Mint, metric_reader: InMemoryMetricReader
) -> None:
    def count(route: str, status: int) -> int:
        return sum(
            p.count
            for p in _points(metric_reader, "http.server.request.duration", route)
            if (p.attributes or {}).get("http.response.status_code") == status
        )

    before_ok, before_err = count("/api/v1/whoami", 200), count("/api/v1/boom", 500)
    auth = {"Authorization": f"Bearer {mint()}"}
    for _ in range(3):
        await client.get("/api/v1/whoami", headers=auth)
    await client.get("/api/v1/boom", headers=auth)
    assert count("/api/v1/whoami", 200) == before_ok + 3
    assert count("/api/v1/boom", 500) == before_err + 1


async def test_readiness_reports_each_check_and_answers_503_when_one_fails() -> None:
    async def ok() -> None:
        return None

    async def down() -> None:
        raise ConnectionError("refused")

    async def hangs() -> None:
        await asyncio.sleep(10)

    healthy, detail = await Readiness({"table": ok}).run()
    assert healthy
    assert detail["table"]["status"] == "pass"
    healthy, detail = await Readiness({"table": ok, "kms": down, "slow": hangs}, timeout=0.05).run()
    assert not healthy
    assert detail["kms"] == {"status": "fail", "error": "ConnectionError"}
    assert "timed out" in detail["slow"]["error"]
    assert detail["table"]["status"] == "pass"


async def test_readiness_caches_its_verdict_briefly() -> None:
    calls = 0

    async def counted() -> None:
        nonlocal calls
        calls += 1

    readiness = Readiness({"c": counted}, cache_seconds=60)
    await readiness.run()
    await readiness.run()
    assert calls == 1


async def test_ready_route_answers_503_with_detail(make_app: Any) -> None:
    async def down() -> None:
        raise TimeoutError

    app = make_app(readiness_checks={"dynamodb": down})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["dynamodb"]["status"] == "fail"


# Telemetry is set up once per process, and this one exports to the tests' sinks.
_INSTRUMENTATION_PROBE = """
import sys
from lift_core.telemetry import configure_telemetry
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
processors = (SimpleSpanProcessor(InMemorySpanExporter()),) if sys.argv[1] == "export" else ()
configure_telemetry("probe", span_processors=processors)
import botocore.client, httpx
from lift_core.http import http_client
http_client()

def patched(cls, name):
    return type(cls.__dict__[name]).__name__ == "FunctionWrapper"

print(
    "opentelemetry.instrumentation.botocore" in sys.modules,
    patched(botocore.client.BaseClient, "_make_api_call"),
    "opentelemetry.instrumentation.httpx" in sys.modules,
    patched(httpx.AsyncHTTPTransport, "handle_async_request"),
)
"""


@pytest.mark.parametrize(("mode", "instrumented"), [("export", True), ("none", False)])
def test_client_instrumentations_only_when_spans_are_exported(
    mode: str, instrumented: bool
) -> None:
    import subprocess
    import sys

    done = subprocess.run(  # noqa: S603 - our interpreter, our probe
        [sys.executable, "-c", _INSTRUMENTATION_PROBE, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [str(instrumented)] * 4


# A process that exports nothing: the SDK stays unimported, and every request still has a
# trace id in its context (its caller's when a traceparent came with it).
_IDS_ONLY_PROBE = """
import asyncio, json, sys
import httpx
from fastapi import APIRouter
from lift_core import LiftSettings, context, create_app
from lift_core.config import Environment

seen = []
router = APIRouter()

@router.get("/health/probe")  # public, as health routes are: no token needed
async def probe():
    ctx = context.current()
    seen.append((ctx.trace_id, ctx.span_id))
    return {}

settings = LiftSettings(environment=Environment.TEST, service_name="probe", access_log=False)
app = create_app(settings=settings, title="probe", routers=[router])
caller = "0af7651916cd43dd8448eb211c80319c"

async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await c.get("/health/probe")
        await c.get("/health/probe")
        await c.get("/health/probe", headers={"traceparent": f"00-{caller}-b7ad6b7169203331-01"})

asyncio.run(main())
print(json.dumps({"sdk": "opentelemetry.sdk" in sys.modules, "seen": seen, "caller": caller}))
"""


def test_with_nothing_exported_the_sdk_is_not_imported_and_requests_still_carry_trace_ids() -> None:
    import json
    import subprocess
    import sys

    done = subprocess.run(  # noqa: S603 - our interpreter, our probe
        [sys.executable, "-c", _IDS_ONLY_PROBE], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])  # after its log lines
    assert report["sdk"] is False
    (first, first_span), (second, _), (continued, continued_span) = report["seen"]
    assert all(len(t) == 32 and int(t, 16) for t in (first, second))
    assert first != second  # a new trace per request without a traceparent
    assert continued == report["caller"]  # the caller's trace, continued
    assert len(continued_span) == 16
    assert continued_span != "b7ad6b7169203331"  # a span of its own, the caller's as parent
    assert len(first_span) == 16
    assert int(first_span, 16)
