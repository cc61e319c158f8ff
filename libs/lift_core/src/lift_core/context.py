"""The request context: who is calling, for which tenant, under which ids.

One ``RequestContext`` per request lives in a contextvar, set by the outermost middleware
and read by logging, audit, auth dependencies and outgoing mesh calls.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller. ``token`` is the raw bearer token, kept only for propagation."""

    subject: str
    tenant_id: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    token: str = field(default="", repr=False)

    def has_any_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


@dataclass(slots=True)
class RequestContext:
    request_id: str
    correlation_id: str
    trace_id: str = ""
    span_id: str = ""
    method: str = ""
    path: str = ""
    route: str = ""
    client_ip: str | None = None
    principal: Principal | None = None
    lambda_request_id: str | None = None
    cold_start: bool = False
    deadline: float | None = None  # time.monotonic() at which the caller gives up

    @property
    def tenant_id(self) -> str | None:
        return self.principal.tenant_id if self.principal else None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "lift_request_context", default=None
)


def current() -> RequestContext | None:
    """The context of the request being served, or None outside a request."""
    return _current.get()


def set_current(ctx: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def copy_context_run(call: Callable[[], T]) -> T:
    """Run ``call`` in a copy of the current context (for work handed to a thread)."""
    return contextvars.copy_context().run(call)


def current_principal() -> Principal | None:
    ctx = _current.get()
    return ctx.principal if ctx else None


# Set by the Lambda handler around each invocation: (aws request id, cold start).
lambda_invocation: contextvars.ContextVar[tuple[str, bool] | None] = contextvars.ContextVar(
    "lift_lambda_invocation", default=None
)


async def run_blocking(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking call (DynamoDB, KMS) in a worker thread, in a copy of this context so
    the request's ids and principal come along."""
    import anyio.to_thread

    bound = functools.partial(call, *args, **kwargs)
    return await anyio.to_thread.run_sync(copy_context_run, bound)
