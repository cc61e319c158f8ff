"""Lambda entry on Mangum: API Gateway REST (v1), HTTP API (v2), ALB and Function URLs.

The app is built when the handler is made, that is when Lambda imports the handler's
module: in the init phase, which on-demand functions run with an unthrottled vCPU (up to
10 s) and which provisioned concurrency runs before any request arrives. Built in the first
invocation instead, a 1024 MB function would run it at about 0.6 of a vCPU, and provisioned
concurrency would not save the first request from it. The first invocation of each
environment is marked as the cold start in the request context and logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from mangum import Mangum

from lift_core import context

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def lambda_handler(app_factory: Callable[[], FastAPI]) -> LambdaHandler:
    """Build the app now and wrap it into a Lambda handler function."""
    adapter = Mangum(app_factory(), lifespan="off")
    invoked = False

    def handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        nonlocal invoked
        cold, invoked = not invoked, True
        request_id = str(getattr(lambda_context, "aws_request_id", "") or "")
        token = context.lambda_invocation.set((request_id, cold))
        try:
            result: dict[str, Any] = adapter(event, lambda_context)
            return result
        finally:
            context.lambda_invocation.reset(token)

    return handler
