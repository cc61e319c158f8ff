"""Real local HTTP servers (uvicorn in a thread) whose behaviour a test controls."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from devtools.estate import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lift_mesh import MeshSettings


@dataclass
class Behaviour:
    """What one test server does; tests flip these fields while it runs."""

    name: str
    status: int = 200
    delay: float = 0.0
    fail_first: int = 0  # answer 503 to the first N requests, then ``status``
    retry_after: str | None = None
    requests: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)


def _app(b: Behaviour) -> Starlette:
    async def handle(request: Request) -> Response:
        b.requests += 1
        b.headers.append(dict(request.headers))
        if b.delay:
            await asyncio.sleep(b.delay)
        if b.fail_first > 0:
            b.fail_first -= 1
            headers = {"retry-after": b.retry_after} if b.retry_after else {}
            return JSONResponse(
                {"type": "urn:lift:problem:unavailable", "title": "down", "status": 503},
                status_code=503,
                headers=headers,
                media_type="application/problem+json",
            )
        if b.status >= 400:
            return JSONResponse(
                {
                    "type": "urn:lift:problem:x",
                    "title": "nope",
                    "status": b.status,
                    "detail": f"{b.name} says {b.status}",
                    "errors": [{"field": "body.amount", "message": "bad"}],
                },
                status_code=b.status,
                media_type="application/problem+json",
            )
        body = await request.body()
        return JSONResponse({"instance": b.name, "amount": 5, "echo": body.decode() or None})

    return Starlette(
        routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "DELETE"])]
    )


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(name="serve")
def serve_fixture() -> Callable[[Any], contextlib.AbstractContextManager[str]]:
    """``with serve(app) as url:`` runs any ASGI app on a real local port."""
    return serve


Servers = Callable[[int], list[tuple[str, Behaviour]]]


@pytest.fixture
def servers() -> Iterator[Servers]:
    """``servers(3)`` starts three instances and returns (url, behaviour) pairs."""
    with contextlib.ExitStack() as stack:

        def start(n: int) -> list[tuple[str, Behaviour]]:
            started = []
            for i in range(n):
                b = Behaviour(name=f"i{i}")
                started.append((stack.enter_context(serve(_app(b))), b))
            return started

        yield start


@pytest.fixture
def dead_url() -> str:
    """A URL where nothing listens: connecting fails at once."""
    return f"http://127.0.0.1:{free_port()}"


MeshFactory = Callable[..., MeshSettings]


@pytest.fixture
def mesh() -> MeshFactory:
    return _mesh


def _mesh(urls: list[str], **overrides: Any) -> MeshSettings:
    """Fast settings for tests: short back-off and timeouts, no cache."""
    values: dict[str, Any] = {
        "services": {"banking": urls},
        "registry_cache_seconds": 0,
        "backoff_base_seconds": 0.01,
        "backoff_cap_seconds": 0.05,
        "attempt_timeout_seconds": 1.0,
        "call_timeout_seconds": 3.0,
    }
    values.update(overrides)
    return MeshSettings(**values)
