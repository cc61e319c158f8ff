"""``create_app``: the one way a Lift service is assembled.

No service builds its own middleware stack; it hands its routers, its domain error table,
its readiness checks and its settings to this factory.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI

from lift_core.auth import Authenticator, HttpJwksSource, JwtVerifier
from lift_core.bodyguard import BodyGuard
from lift_core.config import LiftSettings
from lift_core.docs import BEARER_HELP, mount_docs
from lift_core.errors import PROBLEM_CONTENT_TYPE, install_exception_handlers
from lift_core.faults import FaultInjectionMiddleware, FaultSwitch, faults_router
from lift_core.health import Check, Readiness, health_router
from lift_core.idempotency import IdempotencyMiddleware, IdempotencyStore
from lift_core.idempotency.middleware import IDEMPOTENCY_HEADER, OwnedRoutes, ResponseSealer
from lift_core.idempotency.required import REQUIRED_MARK
from lift_core.logging import configure_logging
from lift_core.middleware import LiftMiddleware
from lift_core.pagination import CursorSealer
from lift_core.ratelimit import InMemoryRateLimiter, RateLimiter
from lift_core.routes import documented_paths, template_regex
from lift_core.telemetry import (
    FASTAPI_TELEMETRY_OFF,
    configure_telemetry,
    http_server_metrics,
)

if TYPE_CHECKING:
    from lift_core.audit import AuditRecorder

DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")
PUBLIC_PATHS = ("/health/", *DOCS_PATHS)


def create_app(
    *,
    settings: LiftSettings,
    title: str,
    routers: Sequence[APIRouter] = (),
    version: str = "0.1.0",
    description: str = "",
    error_map: Mapping[type[Exception], tuple[int, str]] | None = None,
    readiness_checks: Mapping[str, Check] | None = None,
    verifier: JwtVerifier | None = None,
    idempotency_store: IdempotencyStore | None = None,
    idempotency_sealer: ResponseSealer | None = None,
    rate_limiter: RateLimiter | None = None,
    audit: AuditRecorder | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    graph: object = None,
    fault_switch: FaultSwitch | None = None,
) -> FastAPI:
    """Build a service app with the standard Lift stack around ``routers``.

    Explicit collaborators (verifier, stores, limiter) win over the ones built from settings,
    so tests inject fakes instead of patching. With an ``audit`` recorder the compliance
    routes are mounted and refused authentications are recorded. ``graph``, the service's
    object graph, is what ``lift_core.graph.use_case`` dependencies read. ``fault_switch``:
    the one the service's local event jobs also obey (else one is made when enabled).
    """
    configure_logging(settings.service_name, settings.log_level)
    configure_telemetry(settings.service_name, otlp_endpoint=settings.otlp_endpoint)

    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        telemetry=FASTAPI_TELEMETRY_OFF,
        docs_url=None,  # lift_core.docs serves both viewers with their assets, offline
        redoc_url=None,
    )
    app.state.graph = graph
    mount_docs(app)
    install_exception_handlers(app, error_map)
    app.state.cursor_sealer = CursorSealer.from_secret(
        base64.b64decode(settings.blind_index_key.get_secret_value())
    )
    _document_contract(app)
    app.include_router(health_router(Readiness(readiness_checks or {})))
    for router in routers:
        app.include_router(router)
    if audit is not None:
        from lift_core.audit.router import compliance_router  # off the import path of apps

        app.include_router(compliance_router(audit))
    if fault_switch is None:
        fault_switch = FaultSwitch.when_enabled(settings)
    if fault_switch is not None:
        app.include_router(faults_router(fault_switch))

    verifier = verifier or JwtVerifier(
        HttpJwksSource(settings.jwks_url),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway_seconds=settings.jwt_leeway_seconds,
        refresh_seconds=settings.jwks_refresh_seconds,
        min_refetch_seconds=settings.jwks_min_refetch_seconds,
        cache_size=settings.token_cache_size,
    )
    limiter = rate_limiter or _rate_limiter_from(settings)

    # add_middleware wraps what is already there: the last one added runs first.
    if idempotency_store is not None:
        app.add_middleware(
            IdempotencyMiddleware,
            store=idempotency_store,
            lock_seconds=settings.request_timeout_seconds * 2,
            sealer=idempotency_sealer,
            owned_routes=lambda: _routes_reading_header(app, IDEMPOTENCY_HEADER),
        )
    if fault_switch is not None:
        app.add_middleware(FaultInjectionMiddleware, switch=fault_switch, exempt=PUBLIC_PATHS)
    app.add_middleware(
        LiftMiddleware,
        authenticator=Authenticator(verifier, audit=audit),
        limiter=limiter,
        body_guard=BodyGuard(max_bytes=settings.max_body_bytes),
        public=PUBLIC_PATHS,
        docs_paths=DOCS_PATHS,
        max_in_flight=settings.max_in_flight,
        shed_exempt=("/health/live",),
        timeout_seconds=settings.request_timeout_seconds,
        client_floor_seconds=settings.client_deadline_floor_seconds,
        access_log=settings.access_log,
        metrics=http_server_metrics(),
        route_templates=lambda: documented_paths(app).keys(),
    )
    return app


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:lift:problem:not-found"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": ["string", "null"]},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


def _document_contract(app: FastAPI) -> None:
    """Make the OpenAPI document say what the middleware and error handlers do.

    - Every operation outside the public paths requires the bearer JWT.
    - Every error is an ``application/problem+json`` problem. FastAPI documents 422 as
      its own JSON validation error, which lift_core never sends, so 422 and the
      ``default`` response are set to the problem schema.
    """
    build_schema = app.openapi
    problem = {
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    }

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build_schema()
            components = schema.setdefault("components", {})
            components.setdefault("securitySchemes", {})["bearerAuth"] = {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": BEARER_HELP,
            }
            schemas = components.setdefault("schemas", {})
            schemas["Problem"] = PROBLEM_SCHEMA
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            for path, operations in schema.get("paths", {}).items():
                for operation in operations.values():
                    if not path.startswith(PUBLIC_PATHS):
                        operation["security"] = [{"bearerAuth": []}]
                    for parameter in operation.get("parameters", []):
                        _mark_required(parameter)
                    responses = operation.setdefault("responses", {})
                    if "422" in responses:
                        responses["422"] = {"description": "Validation failed", **problem}
                    responses["default"] = {"description": "An error (RFC 9457)", **problem}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _mark_required(parameter: dict[str, Any]) -> None:
    """A header that is Optional only so that its absence is a problem of its own (400, see
    ``lift_core.idempotency.IdempotencyKey``) is documented as what it is: required."""
    schema = parameter.get("schema", {})
    if schema.pop(REQUIRED_MARK, False):
        parameter["required"] = True
        parameter["description"] = schema.pop("description", "")
        parameter["example"] = schema.pop("examples", [None])[0]
        parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}


def _rate_limiter_from(settings: LiftSettings) -> RateLimiter:
    """In memory by default; ``LIFT_RATE_LIMIT_BACKEND=dynamodb`` shares the windows of every
    instance through the service's ``<prefix><service>-ratelimit`` table."""
    if settings.rate_limit_backend == "memory":
        return InMemoryRateLimiter(settings.rate_limit_requests, settings.rate_limit_window_seconds)
    from lift_core.dynamo import bind_model, ensure_tables
    from lift_core.ratelimit.dynamo import DynamoRateLimiter, RateLimitCounter

    model = bind_model(RateLimitCounter, settings, f"{settings.service_name}-ratelimit")
    if settings.auto_create_tables:
        ensure_tables([model], settings)
    return DynamoRateLimiter(
        model, settings.rate_limit_requests, settings.rate_limit_window_seconds
    )


def _routes_reading_header(app: FastAPI, header: str) -> OwnedRoutes:
    """The operations that declare ``header`` as a parameter of their own: they own what it
    means."""
    owned = []
    for path, operations in documented_paths(app).items():
        methods = frozenset(
            method.upper()
            for method, operation in operations.items()
            if any(
                p.get("in") == "header" and str(p.get("name", "")).lower() == header
                for p in operation.get("parameters", [])
            )
        )
        if methods:
            owned.append((methods, template_regex(path)))
    return owned
