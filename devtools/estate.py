"""``make run``: the embedded estate on one machine, no Docker.

Starts the emulator (in this process), the dev identity issuer and every service that
exists (uvicorn subprocesses), waits until each is healthy, seeds demo data for two
tenants, prints where everything is with a token per role, then supervises until Ctrl-C.
Plain subprocess supervision: no daemons, nothing left running after it exits.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devtools.emulator import Emulator
from devtools.seed import banner, seed

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Service:
    name: str
    factory: str
    port: int


def _services(args: argparse.Namespace) -> list[Service]:
    return [
        Service("banking", "banking.main:app_from_environment", args.banking_port),
        Service("healthcare", "healthcare.main:app_from_environment", args.healthcare_port),
        Service("ecommerce", "ecommerce.main:app_from_environment", args.ecommerce_port),
    ]


def _env(args: argparse.Namespace, endpoint: str, service: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LIFT_ENVIRONMENT": "dev",
        "LIFT_SERVICE_NAME": service,
        "LIFT_DYNAMODB_ENDPOINT": endpoint,
        "LIFT_AUTO_CREATE_TABLES": "true",
        "LIFT_TABLE_PREFIX": "lift-dev-",
        "LIFT_JWKS_URL": f"http://127.0.0.1:{args.identity_port}/.well-known/jwks.json",
        "LIFT_IDENTITY_PORT": str(args.identity_port),
        "LIFT_IDENTITY_URL": f"http://127.0.0.1:{args.identity_port}",
        "LIFT_IDENTITY_KEY_PATH": str(ROOT / ".lift/dev-identity-key.pem"),
        # Services find each other through lift_mesh's static registry.
        "LIFT_MESH_SERVICES": json.dumps({"banking": [f"http://127.0.0.1:{args.banking_port}"]}),
        "ECOMMERCE_IDENTITY_URL": f"http://127.0.0.1:{args.identity_port}",
        "HEALTHCARE_IDENTITY_URL": f"http://127.0.0.1:{args.identity_port}",
        # A dev estate recovers within seconds (production keeps the 30 s defaults), and
        # its chaos switch is on: PUT /internal/faults (a platform operator: tenant platform,
        # role operator) slows or fails a service.
        "ECOMMERCE_RECOVERY_INTERVAL_SECONDS": "3",
        "ECOMMERCE_RECOVERY_MIN_AGE_SECONDS": "3",
        "HEALTHCARE_BILLING_RETRY_INTERVAL_SECONDS": "3",
        "HEALTHCARE_BILLING_RETRY_MIN_AGE_SECONDS": "3",
        "LIFT_FAULT_INJECTION_ENABLED": "true",
    }


LOGS = ROOT / ".lift" / "logs"


def uvicorn_argv(factory: str, port: int, *options: str) -> list[str]:
    """The one uvicorn command line for an app factory (the estate and the benchmarks)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        *options,
    ]


def _start(
    name: str, factory: str, port: int, env: dict[str, str], reload: bool
) -> subprocess.Popen[bytes]:
    options = (
        ["--reload", "--reload-dir", str(ROOT / "libs"), "--reload-dir", str(ROOT / "services")]
        if reload
        else []
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("ab")  # JSON lines; `tail -f` them
    return subprocess.Popen(  # noqa: S603 - our own interpreter
        uvicorn_argv(factory, port, *options),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def free_port() -> int:
    """A loopback port nothing listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_healthy(
    name: str, url: str, process: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    """Wait until ``url``/health/live answers 200, failing fast if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{name} did not become healthy at {url} within {timeout:.0f}s")


def _wait_or_point_at_log(name: str, url: str, process: subprocess.Popen[bytes]) -> None:
    try:
        wait_healthy(name, url, process)
    except SystemExit as exc:
        raise SystemExit(f"{exc}; its output is in {LOGS / name}.log") from None


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.estate")
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.getenv("LIFT_EMULATOR_PORT", "4566"))
    )
    parser.add_argument(
        "--identity-port", type=int, default=int(os.getenv("LIFT_IDENTITY_PORT", "8000"))
    )
    parser.add_argument(
        "--banking-port", type=int, default=int(os.getenv("LIFT_BANKING_PORT", "8001"))
    )
    parser.add_argument(
        "--healthcare-port", type=int, default=int(os.getenv("LIFT_HEALTHCARE_PORT", "8002"))
    )
    parser.add_argument(
        "--ecommerce-port", type=int, default=int(os.getenv("LIFT_ECOMMERCE_PORT", "8003"))
    )
    parser.add_argument("--reload", action="store_true", help="restart services on code changes")
    parser.add_argument(
        "--ready-file", type=Path, help="written once the demo data is seeded (for tests)"
    )
    args = parser.parse_args()

    # Stop like Ctrl-C when a supervisor (or a test fixture) asks, even mid start-up.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    emulator = Emulator("127.0.0.1", args.emulator_port)
    endpoint = emulator.start()
    identity = f"http://127.0.0.1:{args.identity_port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        id_proc = _start(
            "identity",
            "lift_core.devidentity:app_from_environment",
            args.identity_port,
            _env(args, endpoint, "identity"),
            reload=False,
        )
        processes.append(id_proc)
        _wait_or_point_at_log("identity", identity, id_proc)
        urls = {}
        for service in _services(args):
            proc = _start(
                service.name,
                service.factory,
                service.port,
                _env(args, endpoint, service.name),
                args.reload,
            )
            processes.append(proc)
            urls[service.name] = f"http://127.0.0.1:{service.port}"
            _wait_or_point_at_log(service.name, urls[service.name], proc)
        demo = seed(identity, urls)
        emulator_row = ("emulator", endpoint, "DynamoDB, KMS, Cloud Map (moto, serialized)")
        text = banner(identity, urls, demo, extra=[emulator_row])
        elapsed = time.monotonic() - started
        text = f"\nLift estate ready in {elapsed:.1f}s\n\n{text}\n\nCtrl-C stops everything."
        print(text, flush=True)
        if args.ready_file:
            # What the e2e suite needs to run every printed example, as printed.
            partial = args.ready_file.with_suffix(".partial")
            partial.write_text(json.dumps({"urls": urls, "banner": text}))
            partial.replace(args.ready_file)  # atomic: a reader never sees half a file
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("a process exited; stopping the estate", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nstopping...")
    finally:
        # A second Ctrl-C (terminals signal the whole group; `uv run` forwards it too) must
        # not cut the clean-up short and orphan a service.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        emulator.stop()


if __name__ == "__main__":
    main()
