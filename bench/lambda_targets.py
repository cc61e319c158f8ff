"""Lambda handlers for the cold-start benchmark; each is imported in a fresh process."""

from __future__ import annotations

from typing import Any


def bare_handler() -> Any:
    from mangum import Mangum

    from bench.bare import bare_app

    return Mangum(bare_app(), lifespan="off")


def lift_handler() -> Any:
    from lift_core.lambda_handler import lambda_handler

    from bench.apps import lift_app

    return lambda_handler(lift_app)
