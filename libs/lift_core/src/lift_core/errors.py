"""One exception hierarchy, rendered as RFC 9457 ``application/problem+json``.

Domain code raises its own exceptions (no HTTP in them); each service hands ``create_app``
a table mapping those exception types to statuses. Everything else a client can cause is a
``ProblemError`` subclass. Unexpected exceptions become a 500 problem with no internals.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Send

from lift_core import context
from lift_core.routes import documented_paths, template_regex

PROBLEM_CONTENT_TYPE = "application/problem+json"
_log = logging.getLogger("lift.errors")


def problem_type(slug: str) -> str:
    return f"urn:lift:problem:{slug}"


class ProblemError(Exception):
    """An error a client caused or must know about; rendered as a problem response."""

    status: int = 500
    slug: str = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        slug: str | None = None,
    ) -> None:
        super().__init__(detail or HTTPStatus(self.status).phrase)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})
        if slug:
            self.slug = slug


class BadRequest(ProblemError):
    status, slug = 400, "bad-request"


class Unauthorized(ProblemError):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Forbidden(ProblemError):
    status, slug = 403, "forbidden"


class NotFound(ProblemError):
    status, slug = 404, "not-found"


class Conflict(ProblemError):
    status, slug = 409, "conflict"


class PayloadTooLarge(ProblemError):
    status, slug = 413, "payload-too-large"


class Unprocessable(ProblemError):
    status, slug = 422, "validation-error"


class RateLimited(ProblemError):
    status, slug = 429, "rate-limited"


class ServiceUnavailable(ProblemError):
    status, slug = 503, "service-unavailable"


class GatewayTimeout(ProblemError):
    status, slug = 504, "timeout"


def problem_body(
    status: int,
    *,
    slug: str,
    detail: str | None = None,
    instance: str | None = None,
    errors: Iterable[Mapping[str, Any]] | None = None,
    title: str | None = None,
) -> bytes:
    ctx = context.current()
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    # The occurrence is named by the request id, not the path: a path holds whatever the
    # client put in it (5 KB ids, control characters), and a problem echoes no input.
    if instance is None and ctx is not None:
        instance = f"urn:lift:request:{ctx.request_id}"
    body["instance"] = instance
    if ctx:
        body["request_id"] = ctx.request_id
    if errors is not None:
        body["errors"] = list(errors)
    return json.dumps(body, separators=(",", ":")).encode()


def problem_response(
    status: int,
    *,
    slug: str,
    detail: str | None = None,
    errors: Iterable[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        problem_body(status, slug=slug, detail=detail, errors=errors),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers or {}),
    )


async def send_problem(
    send: Send,
    status: int,
    *,
    slug: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Answer with a problem from pure ASGI middleware (before any response has started)."""
    body = problem_body(status, slug=slug, detail=detail)
    raw_headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def _field(err: Mapping[str, Any]) -> str:
    """The field's path as the schema names it. A location part the client chose (an
    unknown key under ``extra="forbid"``, a key of a free-form object) is not repeated."""
    parts = list(err.get("loc", ()))
    if err.get("type") == "extra_forbidden" and parts:
        parts[-1] = "<unknown field>"
    return ".".join(
        str(p)
        if isinstance(p, int) or _FIELD_NAME.fullmatch(str(p)) or p == "<unknown field>"
        else "*"
        for p in parts
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # The offending input is never echoed back: it may be a card number or PHI.
    return [
        {
            "field": _field(err),
            "message": err.get("msg", "invalid"),
            "code": err.get("type", "invalid"),
        }
        for err in exc.errors()
    ]


def public_detail(exc: Exception) -> str | None:
    """What a client is told about a domain error: its ``public_detail`` when the domain set
    one (a constant reason, never input), else the first line of its class's docstring.

    The exception's own message is for logs only: domain code writes ids and values the
    client sent into it (``AccountNotFound(account_id)``), and a problem echoes no input.
    """
    explicit = getattr(exc, "public_detail", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    doc = type(exc).__doc__
    return doc.strip().splitlines()[0] if doc and doc.strip() else None


_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _methods_at(request: Request, named: str) -> str:
    """Every method the service documents at the request's path, with those Starlette named
    (``named``: the first matching route's alone, so GET beside POST went unnamed, where
    RFC 9110 asks for all)."""
    methods = {m.strip() for m in named.split(",") if m.strip()}
    for template, operations in documented_paths(request.app).items():
        if template_regex(template).match(request.scope["path"]):
            methods |= {m.upper() for m in operations if m in _METHODS}
    return ", ".join(sorted(methods))


def install_exception_handlers(
    app: FastAPI, error_map: Mapping[type[Exception], tuple[int, str]] | None = None
) -> None:
    """Map lift errors, validation errors, HTTP errors and the service's domain errors."""

    async def on_problem(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem_response(
            exc.status, slug=exc.slug, detail=exc.detail, errors=exc.errors, headers=exc.headers
        )

    async def on_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _field_errors(exc)
        if any(e["code"] == "json_invalid" for e in errors):
            return problem_response(
                400, slug="malformed-json", detail="The body is not valid JSON."
            )
        if any(e["code"] == "sensitive_data" for e in errors):  # lift_core.protection.text
            return problem_response(
                422,
                slug="sensitive-data",
                detail="Free text must not hold a card number or a social security number.",
                errors=errors,
            )
        return problem_response(
            422, slug="validation-error", detail="The request is not valid.", errors=errors
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        slug = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers or {})
        if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            headers["Allow"] = _methods_at(request, headers.get("Allow", ""))
        return problem_response(exc.status_code, slug=slug, detail=detail, headers=headers)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)

    for exc_type, (status, slug) in (error_map or {}).items():

        async def on_domain(
            _: Request, exc: Exception, status: int = status, slug: str = slug
        ) -> Response:
            return problem_response(status, slug=slug, detail=public_detail(exc))

        app.add_exception_handler(exc_type, on_domain)
