"""Where the journeys run. ``E2E_TARGET`` picks one: ``local`` (a fixture starts the
embedded estate), ``compose`` (testcontainers builds and starts the compose estate; its moto
emulator, or LocalStack with ``E2E_COMPOSE_EMULATOR=localstack``) or ``url`` (a deployed stage:
``E2E_IDENTITY_URL``, ``E2E_BANKING_URL``, ``E2E_ECOMMERCE_URL``, ``E2E_HEALTHCARE_URL``).
Unset, the journeys run against ``local`` and then ``compose``; where the compose estate
cannot start (no engine, an image neither here nor pullable) the compose run is skipped with
``devtools.compose_check``'s one line naming the fix, unless ``E2E_REQUIRE_DOCKER=1`` (CI), where it
fails."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from devtools import compose_check, seed
from devtools.estate import control as estate_control
from devtools.estate import free_port
from e2e_client import Target

ROOT = Path(__file__).resolve().parents[2]


CHAOS_REPORT = "chaos_report"
_chaos_lines: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":  # the chaos report fixture adds its lines as it ends
        _chaos_lines.extend(str(v) for k, v in report.user_properties if k == CHAOS_REPORT)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _chaos_lines:
        terminalreporter.section("chaos scenarios")
        for line in _chaos_lines:
            terminalreporter.write_line(line)


def _targets() -> list[str]:
    chosen = os.environ.get("E2E_TARGET")
    return [chosen] if chosen else ["local", "compose"]


@pytest.fixture(scope="session", params=_targets())
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    kind = request.param
    if kind == "url":
        yield Target(
            identity=os.environ["E2E_IDENTITY_URL"],
            banking=os.environ["E2E_BANKING_URL"],
            ecommerce=os.environ["E2E_ECOMMERCE_URL"],
            healthcare=os.environ["E2E_HEALTHCARE_URL"],
        )
        return
    if kind == "compose":
        yield from _compose()
        return
    ports = {
        name: free_port() for name in ("emulator", "identity", "banking", "ecommerce", "healthcare")
    }
    # Written by the estate once its demo data is seeded: a journey that starts earlier
    # races the seeding (and a chaos scenario would break it).
    state = Path(tempfile.mkdtemp())
    ready = state / "ready.json"
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
            "--ready-file",
            str(ready),
            "--control-dir",
            str(state / "control"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    estate = Target(
        logs=lambda service: (ROOT / ".lift" / "logs" / f"{service}.log").read_text(
            errors="replace"
        ),
        identity=f"http://127.0.0.1:{ports['identity']}",
        banking=f"http://127.0.0.1:{ports['banking']}",
        ecommerce=f"http://127.0.0.1:{ports['ecommerce']}",
        healthcare=f"http://127.0.0.1:{ports['healthcare']}",
        # The estate's supervisor holds a service down or starts it again, as compose does.
        stop=lambda service: estate_control("stop", service, state / "control"),
        start=lambda service: estate_control("start", service, state / "control"),
        control_dir=state / "control",
    )
    try:
        deadline = time.monotonic() + 90
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the embedded estate did not start; try `make run`")
            time.sleep(0.2)
        yield dataclasses.replace(estate, banner=json.loads(ready.read_text())["banner"])
        _assert_nothing_in_clear(f"http://127.0.0.1:{ports['emulator']}", estate)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _assert_nothing_in_clear(emulator: str, estate: Target) -> None:
    """After the journeys: no card number or SSN in clear in any table of the estate, nor in
    any line its services logged (the demo data and the journeys send both)."""
    import boto3
    from tests.secrets_scan import log_line_findings, stored_findings

    assert estate.logs is not None
    client = boto3.client("dynamodb", endpoint_url=emulator, region_name="us-east-1")
    leaks = [
        leak
        for page in client.get_paginator("list_tables").paginate()
        for table in page["TableNames"]
        for leak in stored_findings(client, table)
    ]
    for service in ("banking", "ecommerce", "healthcare"):
        for line in estate.logs(service).splitlines():
            kinds = log_line_findings(line)
            if kinds:
                leaks.append(f"{service} log: {kinds}")
    assert not leaks, f"the estate holds protected values in clear: {leaks[:5]}"


def _compose() -> Iterator[Target]:
    localstack = os.environ.get("E2E_COMPOSE_EMULATOR", "moto") == "localstack"
    files = compose_check.compose_files(localstack=localstack)
    missing = compose_check.problem(files)
    if missing:
        if os.environ.get("E2E_REQUIRE_DOCKER") == "1":
            pytest.fail(f"E2E_REQUIRE_DOCKER=1 but {missing}")
        pytest.skip(f"compose journeys skipped: {missing}")
    from testcontainers.compose import DockerCompose

    names = ("emulator", "identity", "banking", "healthcare", "ecommerce")
    ports = {name: free_port() for name in names}
    saved = {k: os.environ.get(k) for k in ("COMPOSE_PROJECT_NAME", *_port_vars(names))}
    os.environ["COMPOSE_PROJECT_NAME"] = "lift-e2e"
    for name, var in zip(names, _port_vars(names), strict=True):
        os.environ[var] = str(ports[name])
    compose = DockerCompose(ROOT, compose_file_name=files, build=True, wait=True, quiet_build=True)
    try:
        compose.start()

        def logs(service: str) -> str:
            out, err = compose.get_logs(service)
            return f"{out}{err}"

        urls = {n: f"http://127.0.0.1:{ports[n]}" for n in names if n != "emulator"}

        def control(verb: str) -> Callable[[str], None]:
            def run(service: str) -> None:
                subprocess.run(  # noqa: S603
                    ["docker", "compose", *(a for f in files for a in ("-f", f)), verb, service],  # noqa: S607
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                )
                if verb == "start":  # compose returns once the container runs, not listens
                    _wait_live(urls[service])

            return run

        # The same demo data and banner as `make up` prints, so its examples are run too.
        identity, services = urls["identity"], {n: u for n, u in urls.items() if n != "identity"}
        demo = seed.seed(identity, services)
        text = seed.banner(identity, services, demo, logs="make logs ESTATE=compose")
        yield Target(
            identity=identity,
            banking=services["banking"],
            ecommerce=services["ecommerce"],
            healthcare=services["healthcare"],
            logs=logs,
            stop=control("stop"),
            start=control("start"),
            banner=text,
        )
    finally:
        compose.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _wait_live(url: str, *, seconds: float = 60) -> None:
    """Until ``url``'s liveness answers 200: a started container may not listen yet."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health/live", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come back within {seconds:.0f} s")


def _port_vars(names: tuple[str, ...]) -> list[str]:
    return [f"LIFT_{name.upper()}_PORT" for name in names]
