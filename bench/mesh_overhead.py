"""ServiceClient vs a raw httpx.AsyncClient to the same local endpoint, and fail-fast latency.

Goals (issue 5): per-call overhead at p50 at most 10% or 150 us; an open breaker answers in
under 1 ms. Each sample runs in its own process (raw and mesh alternate), so the raw
baseline is not taxed by the httpx instrumentation ServiceClient switches on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from devtools.estate import free_port

from bench.harness import ROOT, median, print_table, save, uvicorn_server

CALLS = 2000


def _transport(url: str) -> Any:
    """``mock:`` targets answer in memory: what is left is the client's own work."""
    import httpx

    if url.startswith("mock:"):
        return httpx.MockTransport(lambda request: httpx.Response(200, json={"pong": True}))
    return None


async def _raw(url: str) -> list[float]:
    import httpx

    async with httpx.AsyncClient(transport=_transport(url)) as client:

        async def call() -> Any:  # a caller decodes the body, as ServiceClient does
            response = await client.get(f"{url.removeprefix('mock:')}/api/v1/ping")
            response.raise_for_status()
            return response.json()

        return await _timed(call)


async def _mesh(url: str) -> list[float]:
    """The client a service gets (``lift_core.http.http_client``: no cookie jar), over the
    network or, for ``mock:``, on the in-memory transport."""
    from lift_core.http import http_client
    from lift_mesh import MeshSettings, ServiceClient

    target = url.removeprefix("mock:")
    settings = MeshSettings(services={"bench": [target]})
    http = http_client(transport=_transport(url)) if url.startswith("mock:") else None
    async with ServiceClient("bench", settings=settings, http=http) as client:
        return await _timed(lambda: client.get("/api/v1/ping"))


async def _fail_fast(url: str) -> list[float]:
    from lift_mesh import MeshSettings, ServiceClient, UnavailableError

    settings = MeshSettings(services={"bench": [url]}, breaker_fail_max=1, max_attempts=1)
    async with ServiceClient("bench", settings=settings) as client:
        with contextlib.suppress(UnavailableError):
            await client.get("/")  # nothing listens: trips the breaker
        assert client.breaker(url).state == "open"

        async def call() -> None:
            try:
                await client.get("/")
            except UnavailableError:
                return
            raise AssertionError("the breaker let a call through")

        return await _timed(call)


async def _timed(call: Any) -> list[float]:
    for _ in range(200):
        await call()
    samples = []
    for _ in range(CALLS):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def _child(kind: str, url: str) -> list[float]:
    out = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.mesh_overhead", kind, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    samples: list[float] = json.loads(out.strip().splitlines()[-1])
    return samples


def run(*, rounds: int = 5) -> dict[str, Any]:
    p50: dict[str, list[float]] = {"raw": [], "mesh": []}
    in_memory: dict[str, list[float]] = {"raw": [], "mesh": []}
    with uvicorn_server("bench.bare:bare_app", {}) as url:
        for _ in range(rounds):
            for kind, samples in p50.items():
                samples.append(statistics.median(_child(kind, url)))
                in_memory[kind].append(statistics.median(_child(kind, "mock:http://bench")))
    fail_fast = _child("fail_fast", f"http://127.0.0.1:{free_port()}")
    raw, mesh = median(p50["raw"]), median(p50["mesh"])
    overhead = mesh - raw
    mem_raw, mem_mesh = median(in_memory["raw"]), median(in_memory["mesh"])
    ff50 = statistics.median(fail_fast)
    ff99 = statistics.quantiles(fail_fast, n=100)[98]
    table = print_table(
        f"lift_mesh ServiceClient vs raw httpx (sequential GETs to one local uvicorn, "
        f"median p50 of {rounds} x {CALLS})",
        ["client", "p50 us", "overhead"],
        [
            ["raw httpx.AsyncClient", f"{raw * 1e6:.0f}", ""],
            [
                "ServiceClient",
                f"{mesh * 1e6:.0f}",
                f"+{overhead * 1e6:.0f} us / {overhead / raw:+.1%} (goal <= 150 us or 10%)",
            ],
            ["raw, in-memory transport", f"{mem_raw * 1e6:.0f}", ""],
            [
                "ServiceClient, in-memory transport",
                f"{mem_mesh * 1e6:.0f}",
                f"+{(mem_mesh - mem_raw) * 1e6:.0f} us of client-side work",
            ],
            [
                "breaker open, fail fast",
                f"{ff50 * 1e6:.0f} (p99 {ff99 * 1e6:.0f})",
                "goal < 1000 us",
            ],
        ],
    )
    data = {
        "p50_raw_s": raw,
        "p50_mesh_s": mesh,
        "p50_raw_in_memory_s": mem_raw,
        "p50_mesh_in_memory_s": mem_mesh,
        "fail_fast_p50_s": ff50,
        "fail_fast_p99_s": ff99,
        "rounds": p50,
    }
    save("mesh_overhead", data, table)
    return data


if __name__ == "__main__":
    kind, target = sys.argv[1], sys.argv[2]
    runner = {"raw": _raw, "mesh": _mesh, "fail_fast": _fail_fast}[kind]
    print(json.dumps(asyncio.run(runner(target))))
