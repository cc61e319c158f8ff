"""The Idempotency-Key a route cannot do without (money movements, checkout).

A route that takes ``IdempotencyKey`` owns the key (the middleware leaves it alone) and gets
a 400 ``idempotency-key-required`` problem when it is missing, not FastAPI's 422. The
OpenAPI document marks the header required (``create_app`` reads ``REQUIRED_MARK``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from lift_core.errors import ProblemError

REQUIRED_MARK = "x-lift-required"


class IdempotencyKeyRequired(ProblemError):
    status = 400
    slug = "idempotency-key-required"


def _required_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description="Required: one key per operation. A retry with the same key and body "
            "answers what the first attempt answered; the same key with another body is 422.",
            examples=["order-2026-12-03-0001"],
            json_schema_extra={REQUIRED_MARK: True},
        ),
    ] = None,
) -> str:
    if not idempotency_key:
        raise IdempotencyKeyRequired("this operation needs an Idempotency-Key header")
    return idempotency_key


IdempotencyKey = Annotated[str, Depends(_required_key)]
