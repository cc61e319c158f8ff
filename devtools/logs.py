"""``make logs``: the estate's JSON log lines as one readable stream, optionally only one
request (its request or correlation id, which lift_mesh carries into every service it calls)
or one trace.

The embedded estate's lines come from ``.lift/logs/*.log``, the compose estate's from
``docker compose logs``. A line that is not JSON (a traceback, uvicorn's own) is shown as it
is, unless a filter is set.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from devtools.estate import LOGS

# Fields shown in the line's head or summarised; the rest are printed as key=value.
HEAD = {"ts", "level", "logger", "service", "message", "http"}
SHORT = {"request_id": "req", "trace_id": "trace", "tenant_id": "tenant", "subject": "sub"}
HIDDEN = {"correlation_id", "span_id"}
STAMP = re.compile(r'"ts":\s*"([^"]+)"')


def readable(raw: str, source: str = "") -> str:
    """One log line as ``time service LEVEL message (ms) key=value ...``."""
    try:
        entry: dict[str, Any] = json.loads(raw)
    except ValueError:
        return f"{source:<11} {raw}" if source else raw
    if not isinstance(entry, dict):
        return raw
    clock = str(entry.get("ts", ""))[11:23]
    service = str(entry.get("service") or source)
    head = f"{clock} {service:<11} {entry.get('level', ''):<7} {entry.get('message', '')}"
    http = entry.get("http")
    if isinstance(http, dict) and "duration_ms" in http:
        head += f" ({http['duration_ms']:.1f} ms)"
    rest = [
        f"{SHORT.get(key, key)}={str(value)[:8] if key in ('request_id', 'trace_id') else value}"
        for key, value in entry.items()
        if key not in HEAD and key not in HIDDEN and value not in (None, "")
    ]
    return " ".join([head, *rest])


def matches(raw: str, request: str | None, trace: str | None) -> bool:
    if not request and not trace:
        return True
    try:
        entry = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(entry, dict):
        return False
    if request and request not in (entry.get("request_id"), entry.get("correlation_id")):
        return False
    return not trace or entry.get("trace_id") == trace


def _stamp(raw: str) -> str:
    found = STAMP.search(raw)
    return found.group(1) if found else ""


def _files(directory: Path, follow: bool, last: int | None = None) -> Iterator[tuple[str, str]]:
    """(service, line) from every ``*.log`` in ``directory`` (only the ``last`` ones if set),
    then, following, new lines as they come."""
    handles: dict[Path, IO[bytes]] = {}
    partial: dict[Path, bytes] = {}
    backlog: list[tuple[str, str]] | None = []  # the first pass, put in time order
    while True:
        for path in sorted(directory.glob("*.log")):
            if path not in handles:
                handles[path] = path.open("rb")
        progressed = False
        for path, handle in handles.items():
            chunk = handle.read()
            if not chunk:
                continue
            progressed = True
            *complete, partial[path] = (partial.get(path, b"") + chunk).split(b"\n")
            for line in complete:  # a half-written last line waits for its end
                item = (path.stem, line.decode(errors="replace"))
                if backlog is None:
                    yield item
                else:
                    backlog.append(item)
        if backlog is not None:
            yield from sorted(backlog, key=lambda item: _stamp(item[1]))[-(last or 0) :]
            backlog = None
        if not follow:
            return
        if not progressed:
            time.sleep(0.2)


def compose_line(line: str) -> tuple[str, str]:
    """``banking-1  | {...}`` (docker compose logs) as (service, line)."""
    name, sep, rest = line.rstrip("\n").partition(" | ")
    return (name.strip().rsplit("-", 1)[0], rest) if sep else ("", line.rstrip("\n"))


def _compose(follow: bool, last: int | None = None) -> Iterator[tuple[str, str]]:
    argv = ["docker", "compose", "logs", "--no-color", *(["--follow"] if follow else [])]
    argv += ["--tail", str(last)] if last else []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        assert process.stdout is not None
        for line in process.stdout:
            yield compose_line(line)


def show(
    lines: Iterable[tuple[str, str]], request: str | None, trace: str | None, out: IO[str]
) -> None:
    for source, raw in lines:
        if raw.strip() and matches(raw, request, trace):
            print(readable(raw, source), file=out, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.logs", description=__doc__)
    parser.add_argument("--request", help="only this request or correlation id")
    parser.add_argument("--trace", help="only this trace id")
    parser.add_argument("--compose", action="store_true", help="the compose estate's logs")
    parser.add_argument("--no-follow", action="store_true", help="print what is there and stop")
    parser.add_argument("--dir", type=Path, default=LOGS, help="the embedded estate's log files")
    args = parser.parse_args(argv)
    follow = not args.no_follow
    if not args.compose and not args.dir.is_dir():
        raise SystemExit(f"logs: no {args.dir}; start the estate (make run) or pass ESTATE=compose")
    # Following everything, start like tail -f; a filter searches the whole history.
    last = 40 if follow and not (args.request or args.trace) else None
    lines = _compose(follow, last) if args.compose else _files(args.dir, follow, last)
    with contextlib.suppress(KeyboardInterrupt):
        show(lines, args.request, args.trace, sys.stdout)


if __name__ == "__main__":
    main()
