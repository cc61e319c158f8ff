"""Where the journeys run: ``E2E_TARGET=local`` (default: a fixture starts the embedded
estate), ``url`` (a deployed stage: ``E2E_IDENTITY_URL``, ``E2E_BANKING_URL``,
``E2E_ECOMMERCE_URL``, ``E2E_HEALTHCARE_URL``) or
``compose`` (not built yet: issue 9)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_client import Target

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    kind = os.environ.get("E2E_TARGET", "local")
    if kind == "url":
        yield Target(
            identity=os.environ["E2E_IDENTITY_URL"],
            banking=os.environ["E2E_BANKING_URL"],
            ecommerce=os.environ["E2E_ECOMMERCE_URL"],
            healthcare=os.environ["E2E_HEALTHCARE_URL"],
        )
        return
    if kind == "compose":
        if os.environ.get("E2E_REQUIRE_DOCKER") == "1":
            pytest.fail("E2E_TARGET=compose is not built yet (issue 9), and Docker is required")
        pytest.skip("E2E_TARGET=compose: the testcontainers fixture is not built yet (issue 9)")
    ports = {
        name: _free_port()
        for name in ("emulator", "identity", "banking", "ecommerce", "healthcare")
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "devtools.estate",
            "--emulator-port",
            str(ports["emulator"]),
            "--identity-port",
            str(ports["identity"]),
            "--banking-port",
            str(ports["banking"]),
            "--ecommerce-port",
            str(ports["ecommerce"]),
            "--healthcare-port",
            str(ports["healthcare"]),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    estate = Target(
        identity=f"http://127.0.0.1:{ports['identity']}",
        banking=f"http://127.0.0.1:{ports['banking']}",
        ecommerce=f"http://127.0.0.1:{ports['ecommerce']}",
        healthcare=f"http://127.0.0.1:{ports['healthcare']}",
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urls = (estate.banking, estate.ecommerce, estate.healthcare)
                if all(httpx.get(f"{u}/health/ready", timeout=2).status_code == 200 for u in urls):
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the embedded estate did not start; try `make run`")
            time.sleep(0.2)
        yield estate
    finally:
        process.terminate()
        process.wait(timeout=30)
