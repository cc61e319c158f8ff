"""A service's routes as its OpenAPI document lists them: the one public list of every
included route (FastAPI no longer lists included routes flat)."""

from __future__ import annotations

import functools
import re
from typing import Any

from fastapi import FastAPI
from starlette.routing import compile_path


@functools.cache
def template_regex(template: str) -> re.Pattern[str]:
    """The regex that matches request paths of a path template (``/accounts/{id}``)."""
    return compile_path(template)[0]


def documented_paths(app: FastAPI) -> dict[str, dict[str, Any]]:
    """Path template → its operations by method, from the (cached) OpenAPI document."""
    paths: dict[str, dict[str, Any]] = app.openapi().get("paths", {})
    return paths
