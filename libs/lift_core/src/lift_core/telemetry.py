"""OpenTelemetry set-up: traces and metrics from the standard ``OTEL_*`` variables.

OTLP over HTTP when an endpoint is configured; otherwise nothing is exported and the SDK is
not imported (spans then carry ids only). Tests attach in-memory exporters to the SDK's
providers. Server spans and per-route HTTP metrics
come from ``RequestContextMiddleware`` (FastAPI's native telemetry is off). httpx and
botocore (DynamoDB, KMS) client spans come from their instrumentations, switched on only
when spans are exported: otherwise their spans would never be recorded, and importing them
cost 26-39 ms (botocore) and 30-49 ms (httpx) of each cold start here. ``traceparent``
does not depend on them: lift_mesh's client injects it into every call itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.metrics import Counter, Histogram, Meter

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace import SpanProcessor

    from lift_core.context import RequestContext

_configured = False
_metrics_read = False


class _IdsOnlyTracer(trace.Tracer):
    """Spans that record nothing but carry ids, as the SDK's sampled-out spans do: a new
    trace, or the caller's continued, and a fresh span id, so logs and outgoing calls still
    name the trace. For processes that export nothing, without importing the SDK."""

    def start_span(  # noqa: PLR0917 - the OpenTelemetry API's signature
        self,
        name: str,
        context: Context | None = None,
        kind: trace.SpanKind = trace.SpanKind.INTERNAL,
        attributes: Any = None,
        links: Sequence[trace.Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        parent = trace.get_current_span(context).get_span_context()
        trace_id = parent.trace_id if parent.is_valid else random.getrandbits(128) or 1
        return trace.NonRecordingSpan(
            trace.SpanContext(
                trace_id,
                random.getrandbits(64) or 1,
                is_remote=False,
                trace_flags=trace.TraceFlags(trace.TraceFlags.DEFAULT),
                trace_state=parent.trace_state if parent.is_valid else None,
            )
        )

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> Iterator[trace.Span]:
        with trace.use_span(self.start_span(name, context), end_on_exit=True) as span:
            yield span


class _IdsOnlyTracerProvider(trace.TracerProvider):
    _tracer = _IdsOnlyTracer()

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> trace.Tracer:
        return self._tracer


def configure_telemetry(
    service_name: str,
    *,
    otlp_endpoint: str | None = None,
    span_processors: tuple[SpanProcessor, ...] = (),
    metric_readers: tuple[MetricReader, ...] = (),
) -> None:
    """Install the process-wide providers once.

    OpenTelemetry allows one global provider per process, so a second service app built in
    the same process (tests, the embedded estate) shares them. With nowhere to send spans or
    metrics the SDK is not even imported (~40 ms of a cold start): spans carry ids only.
    """
    global _configured, _metrics_read  # noqa: PLW0603 - one per process
    if _configured:
        if metric_readers or span_processors:
            raise RuntimeError("readers and processors can only be attached at first set-up")
        return
    _configured = True
    exporting = bool(otlp_endpoint or span_processors)
    if not exporting and not metric_readers:
        trace.set_tracer_provider(_IdsOnlyTracerProvider())
        return
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    resource = Resource.create({"service.name": service_name})
    readers: list[MetricReader] = list(metric_readers)
    # With nowhere to send spans, recording them is pure cost: sample nothing (trace and
    # span ids are still made and propagated). Otherwise the OTEL_TRACES_SAMPLER default.
    tracer_provider = TracerProvider(resource=resource, sampler=None if exporting else ALWAYS_OFF)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter,
        )
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    for processor in span_processors:
        tracer_provider.add_span_processor(processor)
    if exporting:  # both patch classes: clients made before are traced too
        instrument_botocore()
        instrument_httpx()
    _metrics_read = bool(readers)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))


# FastAPI's native telemetry is switched off: measured here it added about 180 us per
# request even with nothing sampled, more than the whole lift_core middleware stack. The
# context middleware opens the server span and records the metrics instead.
FASTAPI_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


@dataclass(frozen=True, slots=True)
class HttpServerMetrics:
    """Per-route request count, 5xx count and duration histogram."""

    requests: Counter
    errors: Counter
    duration: Histogram

    @classmethod
    def create(cls, meter: Meter) -> HttpServerMetrics:
        return cls(
            requests=meter.create_counter(
                "lift.http.server.requests", unit="{request}", description="Requests served"
            ),
            errors=meter.create_counter(
                "lift.http.server.errors", unit="{request}", description="Requests answered 5xx"
            ),
            duration=meter.create_histogram(
                "http.server.request.duration", unit="s", description="Server request duration"
            ),
        )

    def record(self, ctx: RequestContext, status: int, elapsed: float) -> None:
        attrs: dict[str, str | int] = {
            "http.request.method": ctx.method,
            "http.route": ctx.route,
            "http.response.status_code": status,
        }
        self.requests.add(1, attrs)
        self.duration.record(elapsed, attrs)
        if status >= 500:
            self.errors.add(1, attrs)


def http_server_metrics() -> HttpServerMetrics | None:
    """The instruments, or None when no reader would ever collect them."""
    if not _metrics_read:
        return None
    return HttpServerMetrics.create(metrics.get_meter("lift_core"))


_instrumented: set[str] = set()


def instrument_botocore() -> None:
    """Client spans for every botocore call, from clients made before or after."""
    if "botocore" not in _instrumented:
        from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

        BotocoreInstrumentor().instrument()  # type: ignore[no-untyped-call]
        _instrumented.add("botocore")


def instrument_httpx() -> None:
    """Client spans for every httpx request, from clients made before or after."""
    if "httpx" not in _instrumented:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()
        _instrumented.add("httpx")
