"""Shared pieces: a uvicorn server per app, wrk runs, and the results table."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devtools.estate import free_port, uvicorn_argv, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


@contextlib.contextmanager
def uvicorn_server(factory: str, env: dict[str, str], port: int | None = None) -> Iterator[str]:
    """One uvicorn worker with uvloop and httptools, the same for every app under test."""
    port = port or free_port()
    argv = uvicorn_argv(factory, port, "--workers", "1", "--loop", "uvloop", "--http", "httptools")
    process = subprocess.Popen(  # noqa: S603 - fixed argv, our own modules
        argv,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(factory, url, process, timeout=30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    script: Path | None = None,
    body: str | None = None,
    env: dict[str, str] | None = None,
    timeout_seconds: int = 2,
) -> dict[str, Any]:
    """Run wrk; ``script`` defaults to a plain GET reporter. ``body`` reaches the script as
    ``WRK_BODY`` (wrk takes methods and bodies only from Lua)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    script = script or ROOT / "bench/wrk_report.lua"
    # wrk counts an answer slower than --timeout (default 2 s) as an error and drops it
    # from the latency figures: slow endpoints need a longer one.
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_seconds}s"]
    argv += ["-s", str(script)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    env = {**os.environ, **(env or {}), **({"WRK_BODY": body} if body is not None else {})}
    out = subprocess.run(  # noqa: S603 - fixed argv
        [*argv, url], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# A Python expression for the child's own peak RSS, in KiB. Not getrusage's ru_maxrss: Linux
# carries the parent's peak across fork and exec, so a child of a large parent reports it.
PEAK_RSS_KIB = (
    "next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM:'))"
)


def first_response(
    argv: list[str], *, env: dict[str, str], cwd: Path | None = None
) -> tuple[float, list[str]]:
    """Seconds from spawning ``argv`` to its first response, and its other output lines.

    The child prints ``time.monotonic()`` as its last line the moment its handler has
    answered. On Linux that clock (CLOCK_MONOTONIC) is one for every process, so the figure
    is start to response: the interpreter's exit, which a Lambda does not pay per request
    and which takes a whole service's heap about 0.3 s here, is not in it.
    """
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        argv, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"{argv[-2:]} exited {done.returncode}: {done.stderr[-3000:]}")
    *output, answered = done.stdout.strip().splitlines()
    return float(answered) - started, output


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    lines = [
        f"### {title}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    return text


def save(name: str, data: dict[str, Any], table: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2))
    (RESULTS / f"{name}.md").write_text(table)
