"""Pure ASGI middleware that sits on every request (no Starlette base-class middleware).

``LiftMiddleware`` is the standard stack in one layer, outermost first: context (ids, server
span, access log, metrics, last-resort 500), security headers, load shedding, body guard
(size, media type, JSON depth), auth, rate limit, timeout. Fault injection and idempotency,
when a service has them, are their own layers inside it (``create_app``). One layer reads
the headers once and wraps ``send`` once: seven layers did each for themselves.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from contextvars import Token
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lift_core import context
from lift_core.bodyguard import BodyGuard
from lift_core.errors import send_problem
from lift_core.routes import template_regex

if TYPE_CHECKING:
    from lift_core.auth.authenticator import Authenticator
    from lift_core.ratelimit import RateLimiter
    from lift_core.telemetry import HttpServerMetrics

DEADLINE_HEADER = "x-lift-deadline-ms"
SERVICE_ROLE = "service"  # the role of a service's own tokens (lift_mesh.credentials)
_DEADLINE = re.compile(r"-?[0-9]{1,12}")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_access = logging.getLogger("lift.access")
_log = logging.getLogger("lift.errors")


def _ip_address(value: str) -> str | None:
    """The client's address if it is an IP address (a forwarded-for value could carry
    anything, and the access line logs it unredacted), else None."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return value


def _safe_id(value: str | None) -> str | None:
    return value if value and _SAFE_ID.match(value) else None


_API_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]
# The interactive docs (lift_core.docs) run Swagger UI's and ReDoc's scripts, all served by
# the service itself: 'self' only, plus the inline script that starts each viewer.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; frame-ancestors 'none'"
)
_DOCS_SECURITY_HEADERS = [
    *_API_SECURITY_HEADERS[:4],
    (b"content-security-policy", DOCS_CONTENT_SECURITY_POLICY.encode()),
    (b"cache-control", b"no-store"),
]


# The request headers the stack reads, gathered in one pass (ASGI names are lower case).
_READ = frozenset(
    {
        b"authorization",
        b"baggage",
        b"content-length",
        b"content-type",
        DEADLINE_HEADER.encode(),
        b"traceparent",
        b"tracestate",
        b"transfer-encoding",
        b"x-correlation-id",
        b"x-request-id",
        b"x-tenant-id",
    }
)
_TRACE_HEADERS = (b"traceparent", b"tracestate", b"baggage")
_DEADLINE_KEY = DEADLINE_HEADER.encode()


class LiftMiddleware:
    """The standard stack in one pure-ASGI layer: one pass over the request headers, one
    wrapper around ``send``. In the order a request meets them:

    1. context: request and correlation ids, the server span (continuing a caller's
       ``traceparent``; non-recording when nothing exports, but its ids still reach the
       context, the logs and outgoing calls), and at the end per-route metrics and one
       access-log line. Also the last resort for unexpected exceptions: logged with their
       stack and request id, answered with a 500 problem that carries no internals.
    2. security headers on every answer (the docs' CSP on the docs' paths).
    3. load shedding: 503 with ``Retry-After`` once ``max_in_flight`` requests are in flight.
    4. the body guard (``BodyGuard``): size, media type, JSON validity and depth.
    5. authentication (``Authenticator``), except on the public paths.
    6. the tenant's rate limit: ``RateLimit-*`` headers on the answer, 429 past it.
    7. the timeout: 504 when a request outlives its budget, the service's own or the
       caller's deadline. lift_mesh sends the caller's remaining budget in
       ``X-Lift-Deadline-Ms``; work the caller has already abandoned is cancelled instead of
       finished. The header is a mesh-internal promise, so it is honoured as sent only from
       a service's own token (role ``service``); from anyone else it can shorten the budget
       to no less than ``client_floor_seconds``, so no external client can make a request
       time out before it had a fair chance to finish.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        limiter: RateLimiter,
        body_guard: BodyGuard,
        public: Iterable[str],
        docs_paths: Iterable[str],
        max_in_flight: int,
        shed_exempt: Iterable[str],
        timeout_seconds: float,
        client_floor_seconds: float = 1.0,
        access_log: bool,
        metrics: HttpServerMetrics | None,
        route_templates: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.limiter = limiter
        self.body_guard = body_guard
        self.public = tuple(public)
        self.docs_paths = tuple(docs_paths)
        self.max_in_flight = max_in_flight
        self.shed_exempt = tuple(shed_exempt)
        self.in_flight = 0
        self.timeout_seconds = timeout_seconds
        self.client_floor = min(client_floor_seconds, timeout_seconds)
        self.access_log = access_log
        self.metrics = metrics
        self.route_templates = route_templates
        self.tracer = trace.get_tracer("lift_core")

    def _route_of(self, scope: Scope) -> str:
        """The route template, also for answers given before routing (401, 429, an injected
        fault): logs and metrics then say which route was refused, not "unmatched"."""
        route = getattr(scope.get("route"), "path", "")
        if route:
            return str(route)
        path = scope["path"]
        matched = (t for t in self.route_templates() if template_regex(t).match(path))
        return next(matched, "unmatched")

    def _begin(
        self, scope: Scope, headers: dict[bytes, str]
    ) -> tuple[trace.Span, Token[Context], context.RequestContext]:
        """The server span (attached as the current one) and the request's context."""
        carrier = {k.decode(): v for k, v in headers.items() if k in _TRACE_HEADERS}
        parent = extract(carrier) if b"traceparent" in headers else None
        span = self.tracer.start_span(
            f"{scope['method']} {scope['path']}", context=parent, kind=SpanKind.SERVER
        )
        otel_token = otel_context.attach(trace.set_span_in_context(span, parent))
        span_ctx = span.get_span_context()
        request_id = _safe_id(headers.get(b"x-request-id")) or uuid.uuid4().hex
        client = scope.get("client")
        ctx = context.RequestContext(
            request_id=request_id,
            correlation_id=_safe_id(headers.get(b"x-correlation-id")) or request_id,
            trace_id=format(span_ctx.trace_id, "032x"),
            span_id=format(span_ctx.span_id, "016x"),
            method=scope["method"],
            path=scope["path"],
            client_ip=_ip_address(client[0]) if client else None,
        )
        invocation = context.lambda_invocation.get()
        if invocation is not None:
            ctx.lambda_request_id, ctx.cold_start = invocation
        return span, otel_token, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in _READ and name not in headers:  # the first, as Starlette's .get()
                headers[name] = value.decode("latin-1")
        span, otel_token, ctx = self._begin(scope, headers)
        token = context.set_current(ctx)
        docs = scope["path"].startswith(self.docs_paths)
        added = [
            (b"x-request-id", ctx.request_id.encode()),
            *(_DOCS_SECURITY_HEADERS if docs else _API_SECURITY_HEADERS),
        ]
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        counted = not scope["path"].startswith(self.shed_exempt)  # liveness is never shed
        try:
            if counted and self.in_flight >= self.max_in_flight:
                await send_problem(
                    send_with_headers,
                    503,
                    slug="overloaded",
                    detail="The service is at capacity; retry shortly.",
                    headers={"Retry-After": "1"},
                )
            else:
                self.in_flight += counted
                try:
                    await self._serve(
                        scope, receive, send_with_headers, headers=headers, ctx=ctx, added=added
                    )
                finally:
                    self.in_flight -= counted
        except Exception:
            _log.exception("unhandled error while serving the request")
            if not response_started:
                await send_problem(send_with_headers, 500, slug="internal")
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

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        headers: dict[bytes, str],
        ctx: context.RequestContext,
        added: list[tuple[bytes, bytes]],
    ) -> None:
        """Steps 4-7, for what shedding let through. ``send`` adds ``added`` to the answer."""
        admitted = await self.body_guard.admit(
            receive,
            send,
            declared=headers.get(b"content-length"),
            content_type=headers.get(b"content-type", ""),
            chunked=b"transfer-encoding" in headers,
        )
        if admitted is None:
            return
        path: str = scope["path"]
        if not path.startswith(self.public):
            principal = await self.authenticator.authenticate(
                path, headers.get(b"authorization", ""), headers.get(b"x-tenant-id"), send
            )
            if principal is None:
                return
            ctx.principal = principal
            if not await self._within_rate(principal.tenant_id, send, added):
                return
        if path.startswith(self.docs_paths):
            await self.app(scope, admitted, send)
            return
        await self._within_budget(scope, admitted, send, headers.get(_DEADLINE_KEY), ctx)

    async def _within_rate(self, tenant: str, send: Send, added: list[tuple[bytes, bytes]]) -> bool:
        """Counts the request against the tenant's limit: False once the 429 is sent."""
        decision = await self.limiter.hit(tenant)
        limits = {
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(decision.reset_seconds),
        }
        if not decision.allowed:
            await send_problem(
                send,
                429,
                slug="rate-limited",
                detail="The tenant's request rate limit is exhausted.",
                headers={**limits, "Retry-After": str(decision.reset_seconds)},
            )
            return False
        added += [(k.lower().encode(), v.encode()) for k, v in limits.items()]
        return True

    async def _within_budget(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        raw_deadline: str | None,
        ctx: context.RequestContext,
    ) -> None:
        budget = self.timeout_seconds
        if raw_deadline is not None:
            if not _DEADLINE.fullmatch(raw_deadline):
                await send_problem(send, 400, slug="bad-request", detail="Bad deadline header.")
                return
            asked = int(raw_deadline) / 1000
            if ctx.principal is None or not ctx.principal.has_any_role(SERVICE_ROLE):
                asked = max(asked, self.client_floor)
            budget = min(budget, asked)
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
                },
                # Values lift_core made or checked: nothing here can carry a caller's data.
                "_trusted": ("message", "http"),
            },
        )
