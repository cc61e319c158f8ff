"""Lambda entry on Mangum: API Gateway REST (v1), HTTP API (v2), ALB and Function URLs.

The app is built on the first invocation, not at import, so the init phase stays short;
that first invocation is marked as the cold start in the request context and logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from lift_core import context

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def lambda_handler(app_factory: Callable[[], FastAPI]) -> LambdaHandler:
    """Wrap an app factory into a Lambda handler function."""
    state: dict[str, Any] = {}

    def handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        cold = "mangum" not in state
        if cold:
            from mangum import Mangum

            state["mangum"] = Mangum(app_factory(), lifespan="off")
        request_id = str(getattr(lambda_context, "aws_request_id", "") or "")
        token = context.lambda_invocation.set((request_id, cold))
        try:
            result: dict[str, Any] = state["mangum"](event, lambda_context)
            return result
        finally:
            context.lambda_invocation.reset(token)

    return handler
