"""``create_app``: the one way a Lift service is assembled.

No service builds its own middleware stack; it hands its routers, its domain error table,
its readiness checks and its settings to this factory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI

from lift_core.auth import AuthMiddleware, HttpJwksSource, JwtVerifier
from lift_core.config import LiftSettings
from lift_core.errors import install_exception_handlers
from lift_core.faults import FaultInjectionMiddleware, FaultSwitch, faults_router
from lift_core.health import Check, Readiness, health_router
from lift_core.idempotency import IdempotencyMiddleware, IdempotencyStore
from lift_core.logging import configure_logging
from lift_core.middleware import (
    BodySizeLimitMiddleware,
    LoadSheddingMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    TimeoutMiddleware,
)
from lift_core.ratelimit import InMemoryRateLimiter, RateLimiter, RateLimitMiddleware
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
    rate_limiter: RateLimiter | None = None,
    audit: AuditRecorder | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
) -> FastAPI:
    """Build a service app with the standard Lift stack around ``routers``.

    Explicit collaborators (verifier, stores, limiter) win over the ones built from settings,
    so tests inject fakes instead of patching. With an ``audit`` recorder the compliance
    routes are mounted and refused authentications are recorded.
    """
    configure_logging(settings.service_name, settings.log_level)
    configure_telemetry(settings.service_name, otlp_endpoint=settings.otlp_endpoint)

    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    install_exception_handlers(app, error_map)
    _declare_bearer_auth(app)
    app.include_router(health_router(Readiness(readiness_checks or {})))
    for router in routers:
        app.include_router(router)
    if audit is not None:
        from lift_core.audit.router import compliance_router  # off the import path of apps

        app.include_router(compliance_router(audit))
    fault_switch = FaultSwitch() if settings.fault_injection_enabled else None
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
        )
    if fault_switch is not None:
        app.add_middleware(FaultInjectionMiddleware, switch=fault_switch, exempt=PUBLIC_PATHS)
    app.add_middleware(
        TimeoutMiddleware, timeout_seconds=settings.request_timeout_seconds, exempt=DOCS_PATHS
    )
    app.add_middleware(RateLimitMiddleware, limiter=limiter)
    app.add_middleware(AuthMiddleware, verifier=verifier, public=PUBLIC_PATHS, audit=audit)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        LoadSheddingMiddleware, max_in_flight=settings.max_in_flight, exempt=("/health/live",)
    )
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=DOCS_PATHS)
    app.add_middleware(
        RequestContextMiddleware,
        access_log=settings.access_log,
        metrics=http_server_metrics(),
    )
    return app


def _declare_bearer_auth(app: FastAPI) -> None:
    """Every operation outside the public paths requires the bearer JWT, as the middleware
    enforces; say so in the OpenAPI document so the docs and clients know."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build_schema()
            components = schema.setdefault("components", {})
            components.setdefault("securitySchemes", {})["bearerAuth"] = {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "JWT from the identity issuer; its tenant_id claim scopes all data.",
            }
            for path, operations in schema.get("paths", {}).items():
                if not path.startswith(PUBLIC_PATHS):
                    for operation in operations.values():
                        operation["security"] = [{"bearerAuth": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
