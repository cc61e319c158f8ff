"""Typed errors of mesh calls, decoded from the callee's problem+json where there is one."""

from __future__ import annotations

from typing import Any


class MeshError(Exception):
    """Base of every error a ServiceClient raises."""

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status: int | None = None,
        problem: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        self.problem = problem or {}
        self.retry_after = retry_after

    @property
    def slug(self) -> str:
        """The problem type's last segment (``urn:lift:problem:insufficient-funds`` →
        ``insufficient-funds``), or the error's class name when the callee sent none."""
        return str(self.problem.get("type", "")).rsplit(":", 1)[-1] or type(self).__name__


class BadRequestError(MeshError):
    """400: the callee could not read the request."""


class UnauthorizedError(MeshError):
    """401: the propagated credentials were refused."""


class ForbiddenError(MeshError):
    """403: the caller may not do this."""


class NotFoundError(MeshError):
    """404."""


class ConflictError(MeshError):
    """409: the callee's state forbids it (e.g. insufficient funds, idempotency in progress)."""


class ValidationError(MeshError):
    """422: the callee found the request invalid; ``problem["errors"]`` names the fields."""


class RateLimitedError(MeshError):
    """429 after retries."""


class ServerError(MeshError):
    """5xx from the callee after retries."""


class UnavailableError(MeshError):
    """No answer: connection failed, every instance ejected or breaker open, bulkhead full,
    retry budget spent, or no instance registered."""


class MeshTimeoutError(UnavailableError):
    """The attempt or total timeout elapsed. The callee may still have acted: look the
    outcome up by idempotency key before trying anything non-idempotent again."""


_BY_STATUS: dict[int, type[MeshError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


def error_for(status: int) -> type[MeshError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else BadRequestError
