"""The embedded AWS emulator: moto's server, with requests applied one at a time.

moto's threaded server runs requests concurrently in Python with no locking, so two
concurrent ``UpdateItem ... ADD`` or conditional writes can interleave and lose an update,
which DynamoDB never does (found by banking's concurrency test: money disappeared).
Serializing request handling restores DynamoDB's per-request atomicity; connections are
still accepted concurrently.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server


@dataclass(frozen=True)
class Call:
    """One request the emulator served, as ``bench/round_trips.py`` counts it."""

    target: str  # the X-Amz-Target header: "DynamoDB_20120810.GetItem", ...
    request: bytes
    response_bytes: int
    arrived: float
    done: float


class _Serialized:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.calls: list[Call] | None = None  # recording when a list

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self.calls is None:
            with self.lock:
                return list(self.app(environ, start_response))
        arrived = time.monotonic()
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        with self.lock:
            answer = list(self.app(environ, start_response))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        size = sum(len(chunk) for chunk in answer)
        self.calls.append(Call(target, body, size, arrived, time.monotonic()))
        return answer


class Emulator:
    """``with Emulator() as endpoint:`` DynamoDB, KMS, Cloud Map... at ``endpoint``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per call otherwise
        self._app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(host, port, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Call]]:
        """Every request served inside the block, in the order each finished."""
        calls: list[Call] = []
        self._app.calls = calls
        try:
            yield calls
        finally:
            self._app.calls = None

    @property
    def endpoint(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> str:
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def main() -> None:
    """``python -m devtools.emulator --port 4566``: the emulator on its own."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(prog="python -m devtools.emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args()
    emulator = Emulator(args.host, args.port)
    print(f"emulator at {emulator.start()} (DynamoDB, KMS, Cloud Map...; Ctrl-C stops)")
    with contextlib.suppress(KeyboardInterrupt):
        signal.pause()
    emulator.stop()


if __name__ == "__main__":
    main()
