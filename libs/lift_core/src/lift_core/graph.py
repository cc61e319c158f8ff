"""How routes reach the use cases: the app carries the object graph the service's
``bootstrap`` built (``create_app(graph=...)``), and a route's parameter names the use case
it takes (``Annotated[Accounts, use_case(Banking, "accounts")]``)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from fastapi import Depends, Request


def use_case(graph: type[Any], name: str) -> Any:
    """A FastAPI dependency on the ``name`` field of the app's graph, a dataclass of type
    ``graph``. A name the graph does not have fails at import, not at the first request."""
    if name not in {f.name for f in fields(graph)}:
        raise TypeError(f"{graph.__name__} has no field {name!r}")

    def dependency(request: Request) -> Any:
        return getattr(request.app.state.graph, name)

    dependency.__name__ = f"{graph.__name__}.{name}"
    return Depends(dependency)
