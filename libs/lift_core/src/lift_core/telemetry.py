"""OpenTelemetry set-up: traces and metrics from the standard ``OTEL_*`` variables.

OTLP over HTTP when an endpoint is configured, nothing exported otherwise; tests attach
in-memory exporters to the same providers. Server spans and HTTP server metrics
(``http.server.request.duration`` per route and status, ``http.server.active_requests``)
come from FastAPI's native OpenTelemetry support (see ``FASTAPI_TELEMETRY``); httpx and
botocore (DynamoDB) client spans come from their instrumentations.
"""

from __future__ import annotations

from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# FastAPI's own telemetry: spans and metrics on, its exception log records off (they carry
# exception messages unredacted; lift_core's JSON logging records them, redacted), and no
# per-dependency spans on the hot path.
FASTAPI_TELEMETRY: TelemetryConfig = {
    "tracing": True,
    "metrics": True,
    "logs": False,
    "operation_spans": False,
}

_tracer_provider: TracerProvider | None = None
_meter_provider: MeterProvider | None = None


def configure_telemetry(
    service_name: str,
    *,
    otlp_endpoint: str | None = None,
    span_processors: tuple[SpanProcessor, ...] = (),
    metric_readers: tuple[MetricReader, ...] = (),
) -> tuple[TracerProvider, MeterProvider]:
    """Install the process-wide providers once; later calls only add processors.

    OpenTelemetry allows one global provider per process, so a second service app built in
    the same process (tests, the embedded estate) shares them.
    """
    global _tracer_provider, _meter_provider  # noqa: PLW0603 - process-wide by OTel's design
    if _tracer_provider is None or _meter_provider is None:
        resource = Resource.create({"service.name": service_name})
        readers: list[MetricReader] = list(metric_readers)
        _tracer_provider = TracerProvider(resource=resource)
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )

            _tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        _meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        trace.set_tracer_provider(_tracer_provider)
        metrics.set_meter_provider(_meter_provider)
        _instrument_clients()
    elif metric_readers:
        raise RuntimeError("metric readers can only be attached when telemetry is first set up")
    for processor in span_processors:
        _tracer_provider.add_span_processor(processor)
    return _tracer_provider, _meter_provider


def _instrument_clients() -> None:
    """Client spans for httpx (mesh calls) and botocore (DynamoDB through PynamoDB)."""
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument()
    BotocoreInstrumentor().instrument()  # type: ignore[no-untyped-call]
