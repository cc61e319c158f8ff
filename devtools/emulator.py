"""The embedded AWS emulator: moto's server, with requests applied one at a time.

moto's threaded server runs requests concurrently in Python with no locking, so two
concurrent ``UpdateItem ... ADD`` or conditional writes can interleave and lose an update,
which DynamoDB never does (found by banking's concurrency test: money disappeared).
Serializing request handling restores DynamoDB's per-request atomicity; connections are
still accepted concurrently.

moto backs up every table a ``TransactWriteItems`` names by deep-copying it whole, stream
records included, before each transaction (moto 5.2), so a transaction's cost grows with
everything the estate ever wrote to those tables: the audit chain and the outbox ride in
most transactions, and under ``make load`` the emulator grew to 2.7 GB in two minutes while
every request waited behind the copies. ``_ItemBackups`` keeps moto's transaction logic
and replaces the whole-table copies with copies of the items the transaction names (and
the length of each stream), restored if it is cancelled: what DynamoDB's all-or-nothing
needs, at a cost that does not grow with the tables.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
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


_MOTO_TRANSACT = DynamoDBBackend.transact_write_items
Backup = tuple[Table, Any, Any, Any]  # the table, the item's keys, a copy of it (or None)


def _transact_with_item_backups(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> None:
    """moto's ``transact_write_items`` with item-level backups (see above). It runs under
    ``_Serialized``'s lock, so no other request sees the tables while it is patched."""
    items, streams = _backups(backend, transact_items)
    moto_copy = Table.__dict__.get("__deepcopy__")  # none in moto 5.2; kept if one comes
    Table.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
    try:
        _MOTO_TRANSACT(backend, transact_items)
    except Exception:
        for table, hash_key, range_key, item in items:
            _put_back(table, hash_key, range_key, item)
        for shard, length in streams:
            del shard.items[length:]
        raise
    finally:
        if moto_copy is None:
            del Table.__deepcopy__  # type: ignore[attr-defined]
        else:
            Table.__deepcopy__ = moto_copy  # type: ignore[attr-defined]


def _backups(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> tuple[list[Backup], list[tuple[Any, int]]]:
    """A copy of each item the transaction names (None where there is none yet), and the
    length of each named table's stream. What moto will refuse is left to it to refuse."""
    items: list[Backup] = []
    streams: dict[str, tuple[Any, int]] = {}
    for entry in transact_items:
        for op in entry.values():
            table = backend.tables.get(op.get("TableName", "")) if isinstance(op, dict) else None
            if table is None:
                continue
            keys = op.get("Key") or {
                a: op["Item"][a]
                for a in (table.hash_key_attr, table.range_key_attr)
                if a is not None and a in (op.get("Item") or {})
            }
            try:
                hash_key, range_key = backend.get_keys_value(table, keys)
                current = table.get_item(hash_key, range_key)
            except Exception:  # noqa: S112 - a malformed key: moto refuses it below
                continue
            items.append((table, hash_key, range_key, copy.deepcopy(current)))
            if table.stream_shard is not None and table.name not in streams:
                streams[table.name] = (table.stream_shard, len(table.stream_shard.items))
    return items, list(streams.values())


def _put_back(table: Table, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
    elif item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


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
        DynamoDBBackend.transact_write_items = _transact_with_item_backups  # type: ignore[assignment,method-assign]
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
