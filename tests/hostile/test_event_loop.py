"""Nothing a client sends can hold the event loop: while the largest bodies the service
accepts to read (64 KiB) are sent and refused without pause, ``/health/live`` on the same
process keeps answering within 100 ms. Before the scans were bounded and linear, a 60 KB
``reference`` held the loop for 5-7 s."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from devtools.estate import free_port
from tests.inprocess import Estate

pytestmark = [pytest.mark.integration]

LIMIT = 65_536


def _hostile_bodies() -> list[bytes]:
    payment = {
        "payer_account_id": "acc1",
        "merchant_account_id": "acc2",
        "amount": 100,
        "currency": "EUR",
    }

    def padded(reference: str) -> bytes:
        return json.dumps({**payment, "reference": reference}).encode()[:LIMIT]

    overhead = len(padded(""))
    room = LIMIT - overhead - 2
    return [
        padded("a" * room),  # the run of letters that was quadratic in the e-mail pattern
        padded("1 " * (room // 2)),  # digit groups: the card-number pattern's worst case
        padded("x@" * (room // 2)),
        b"[" * (LIMIT // 2) + b"]" * (LIMIT // 2),  # depth
        b'{"a":' * (LIMIT // 6) + b"1" + b"}" * (LIMIT // 6),
    ]


@pytest.fixture
def served_banking(estate: Estate) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        estate.apps["banking"], host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_health_answers_while_hostile_bodies_are_refused(
    served_banking: str, estate: Estate
) -> None:
    bodies = _hostile_bodies()
    assert all(len(b) <= LIMIT for b in bodies)
    headers = {
        "Authorization": f"Bearer {estate.token('banking')}",
        "Idempotency-Key": "hostile",
        "content-type": "application/json",
    }
    stop = threading.Event()
    refused: list[int] = []

    def attack() -> None:
        with httpx.Client(base_url=served_banking, timeout=30) as client:
            while not stop.is_set():
                for body in bodies:
                    refused.append(
                        client.post("/api/v1/payments", content=body, headers=headers).status_code
                    )

    attackers = [threading.Thread(target=attack) for _ in range(4)]
    for t in attackers:
        t.start()
    latencies = []
    try:
        with httpx.Client(base_url=served_banking, timeout=30) as client:
            while len(refused) < 20:  # the attack is under way
                time.sleep(0.01)
            for _ in range(50):
                started = time.perf_counter()
                assert client.get("/health/live").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.01)
    finally:
        stop.set()
        for t in attackers:
            t.join(timeout=30)
    print(
        f"health/live under attack: {len(refused)} hostile requests refused; "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )
    assert set(refused) <= {400, 404, 413, 422}, set(refused)
    assert 500 not in refused
    assert statistics.quantiles(latencies, n=20)[-1] < 0.1  # p95 within 100 ms
