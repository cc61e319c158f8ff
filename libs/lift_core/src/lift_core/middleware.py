"""Pure ASGI middleware that sits on every request (no Starlette base-class middleware).

Order, outermost first: context (ids, server span, access log, metrics, last-resort 500),
security headers, load shedding, body size limit, auth, rate limit, timeout, idempotency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lift_core import context
from lift_core.errors import PayloadTooLarge, send_problem
from lift_core.telemetry import HttpServerMetrics

DEADLINE_HEADER = "x-lift-deadline-ms"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_access = logging.getLogger("lift.access")
_log = logging.getLogger("lift.errors")


def _safe_id(value: str | None) -> str | None:
    return value if value and _SAFE_ID.match(value) else None


class _HeaderGetter(Getter[Headers]):
    """Lets the OTel propagator read W3C headers from Starlette's header view."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        value = carrier.get(key)
        return [value] if value is not None else None

    def keys(self, carrier: Headers) -> list[str]:
        return list(carrier.keys())


_HEADER_GETTER = _HeaderGetter()


class RequestContextMiddleware:
    """Request context, server span, per-route metrics and one access-log line per request.

    The span continues an incoming ``traceparent``; when nothing exports spans it is
    non-recording and costs little, but its trace and span ids still reach the context, the
    logs and outgoing calls. This middleware is also the last resort for unexpected
    exceptions: logged with their stack and request id, answered with a 500 problem that
    carries no internals.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        access_log: bool,
        metrics: HttpServerMetrics | None,
        route_templates: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.metrics = metrics
        self.route_templates = route_templates
        self._templates: list[tuple[re.Pattern[str], str]] | None = None
        self.tracer = trace.get_tracer("lift_core")

    def _route_of(self, scope: Scope) -> str:
        """The route template, also for answers given before routing (401, 429, an injected
        fault): logs and metrics then say which route was refused, not "unmatched"."""
        route = getattr(scope.get("route"), "path", "")
        if route:
            return str(route)
        if self._templates is None:  # built once, on the first answer given before routing
            self._templates = [(compile_path(t)[0], t) for t in self.route_templates()]
        path = scope["path"]
        return next((t for regex, t in self._templates if regex.match(path)), "unmatched")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        parent = extract(headers, getter=_HEADER_GETTER) if "traceparent" in headers else None
        span = self.tracer.start_span(
            f"{scope['method']} {scope['path']}", context=parent, kind=SpanKind.SERVER
        )
        otel_token = otel_context.attach(trace.set_span_in_context(span, parent))
        span_ctx = span.get_span_context()
        request_id = _safe_id(headers.get("x-request-id")) or uuid.uuid4().hex
        client = scope.get("client")
        ctx = context.RequestContext(
            request_id=request_id,
            correlation_id=_safe_id(headers.get("x-correlation-id")) or request_id,
            trace_id=format(span_ctx.trace_id, "032x"),
            span_id=format(span_ctx.span_id, "016x"),
            method=scope["method"],
            path=scope["path"],
            client_ip=client[0] if client else None,
        )
        invocation = context.lambda_invocation.get()
        if invocation is not None:
            ctx.lambda_request_id, ctx.cold_start = invocation
        token = context.set_current(ctx)
        status = 500
        response_started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message).append("x-request-id", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        except Exception:
            _log.exception("unhandled error while serving the request")
            if not response_started:
                await send_problem(send_with_ids, 500, slug="internal")
        finally:
            ctx.route = self._route_of(scope)
            elapsed = time.perf_counter() - started
            self._finish_span(span, ctx, status)
            otel_context.detach(otel_token)
            if self.metrics is not None:
                self.metrics.record(ctx, status, elapsed)
            if self.access_log:
                self._access_log(ctx, status, elapsed)
            context.reset(token)

    @staticmethod
    def _finish_span(span: trace.Span, ctx: context.RequestContext, status: int) -> None:
        if span.is_recording():
            span.update_name(f"{ctx.method} {ctx.route}")
            span.set_attribute("http.request.method", ctx.method)
            span.set_attribute("http.route", ctx.route)
            span.set_attribute("http.response.status_code", status)
            if ctx.principal is not None:
                span.set_attribute("lift.tenant_id", ctx.principal.tenant_id)
            if status >= 500:
                span.set_status(StatusCode.ERROR)
        span.end()

    @staticmethod
    def _access_log(ctx: context.RequestContext, status: int, elapsed: float) -> None:
        _access.info(
            "%s %s %s",
            ctx.method,
            ctx.route,
            status,
            extra={
                "http": {
                    "method": ctx.method,
                    "route": ctx.route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                    "client_ip": ctx.client_ip,
                }
            },
        )


_API_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]
# The interactive docs load Swagger UI's script and styles, so they get a looser policy.
_DOCS_SECURITY_HEADERS = [*_API_SECURITY_HEADERS[:4], (b"cache-control", b"no-store")]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, docs_paths: Iterable[str]) -> None:
        self.app = app
        self.docs_paths = tuple(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = (
            _DOCS_SECURITY_HEADERS
            if scope["path"].startswith(self.docs_paths)
            else _API_SECURITY_HEADERS
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoadSheddingMiddleware:
    """Answers 503 with ``Retry-After`` once too many requests are in flight."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int, exempt: Iterable[str]) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.exempt = tuple(exempt)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await send_problem(
                send,
                503,
                slug="overloaded",
                detail="The service is at capacity; retry shortly.",
                headers={"Retry-After": "1"},
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class BodySizeLimitMiddleware:
    """413 for bodies over the limit, whether declared by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_problem(send, 400, slug="bad-request", detail="Bad Content-Length.")
                return
            if int(declared) > self.max_bytes:
                await self._too_large(send)
                return
        if declared in (None, "0") and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body: nothing to count
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise PayloadTooLarge(self._detail())
            return message

        async def guarded_send(message: Message) -> None:
            # Once the limit is crossed, whatever the app makes of the aborted read (FastAPI
            # turns it into a 400) is dropped in favour of our 413.
            nonlocal started
            if exceeded:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(PayloadTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await self._too_large(send)

    def _detail(self) -> str:
        return f"The request body exceeds {self.max_bytes} bytes."

    async def _too_large(self, send: Send) -> None:
        await send_problem(send, 413, slug="payload-too-large", detail=self._detail())


class TimeoutMiddleware:
    """504 when a request outlives its budget: the service's own, or the caller's deadline.

    lift_mesh sends the caller's remaining budget in ``X-Lift-Deadline-Ms``; work the caller
    has already abandoned is cancelled instead of finished.
    """

    def __init__(self, app: ASGIApp, *, timeout_seconds: float, exempt: Iterable[str]) -> None:
        self.app = app
        self.timeout_seconds = timeout_seconds
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        budget = self.timeout_seconds
        raw = Headers(scope=scope).get(DEADLINE_HEADER)
        if raw is not None:
            try:
                budget = min(budget, int(raw) / 1000)
            except ValueError:
                await send_problem(send, 400, slug="bad-request", detail="Bad deadline header.")
                return
        ctx = context.current()
        if ctx is not None:
            ctx.deadline = time.monotonic() + budget
        if budget <= 0:
            await self._timed_out(send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            async with asyncio.timeout(budget) as deadline:
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if not deadline.expired():
                raise
            if started:
                _log.warning("request timed out after the response started")
                return
            await self._timed_out(send)

    @staticmethod
    async def _timed_out(send: Send) -> None:
        await send_problem(
            send, 504, slug="timeout", detail="The request did not finish within its deadline."
        )
