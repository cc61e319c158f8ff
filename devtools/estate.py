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

from devtools.compose_check import compose_ports
from devtools.emulator import Emulator
from devtools.seed import banner, seed

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Service:
    name: str
    factory: str
    port: int


BUILT_IN = ("banking", "healthcare", "ecommerce")


def _services(args: argparse.Namespace) -> list[Service]:
    """The three reference services, then every generated one (``make new-service``): a
    ``services/<name>/src/<name>/main.py`` with ``app_from_environment``, on the port its
    ``compose.yaml`` publishes (``LIFT_<NAME>_PORT`` overrides it, as in compose)."""
    found = [
        Service(name, f"{name}.main:app_from_environment", getattr(args, f"{name}_port"))
        for name in BUILT_IN
    ]
    for main in sorted(ROOT.glob("services/*/src/*/main.py")):
        name = main.parent.name
        if name in BUILT_IN or main.parents[2].name != name:
            continue
        if "def app_from_environment" not in main.read_text():
            continue
        published = compose_ports(main.parents[2] / "compose.yaml")
        port = int(os.getenv(f"LIFT_{name.upper()}_PORT", published[0] if published else 0))
        found.append(Service(name, f"{name}.main:app_from_environment", port or free_port()))
    only = set(args.only or ())
    return [s for s in found if not only or s.name in only]


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
        "LIFT_EVENTS_LOCAL": "true",
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


_stopping: list[bool] = []


def _interrupt(*_: object) -> None:
    """Ctrl-C or SIGTERM: stop, once. A second signal (terminals signal the whole group and
    `uv run` forwards it too) must not cut the clean-up short and orphan a service."""
    if not _stopping:
        _stopping.append(True)
        raise KeyboardInterrupt


CONTROL = ROOT / ".lift" / "control"
STABLE_SECONDS = 30  # up this long after a restart: the next failure backs off from 1 s again
VERBS = ("restart", "stop", "start")


def _say(line: str) -> None:
    print(f"[estate {time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


@dataclass
class Child:
    """One supervised process: restarted with back-off when it exits (1, 2, 4 ... 30 s),
    held down while ``<control>/<name>.stop`` exists, restarted once per
    ``<control>/<name>.restart``."""

    service: Service
    env: dict[str, str]
    reload: bool
    process: subprocess.Popen[bytes] | None = None
    failures: int = 0
    up_since: float = 0.0
    retry_at: float | None = None
    held: bool = False
    pid_file: Path | None = None  # <control>/<name>.pid, rewritten on every start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        s = self.service
        self.process = _start(s.name, s.factory, s.port, self.env, self.reload)
        self.up_since, self.retry_at = time.monotonic(), None
        if self.pid_file is not None:
            self.pid_file.write_text(str(self.process.pid))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tick(self, control: Path, now: float) -> None:
        name = self.service.name
        if (control / f"{name}.stop").exists():
            if not self.held:
                self.held = True
                self.stop()
                _say(f"{name} stopped on request (python -m devtools.estate start {name})")
            return
        if self.held:
            self.held = False
            self.start()
            _say(f"{name} started on request")
            return
        if (control / f"{name}.restart").exists():
            (control / f"{name}.restart").unlink(missing_ok=True)
            self.stop()
            self.start()
            self.failures = 0
            _say(f"{name} restarted on request")
            return
        if self.running:
            if self.failures and now - self.up_since > STABLE_SECONDS:
                self.failures = 0
            return
        if self.retry_at is None:
            delay = min(30, 2**self.failures)
            self.failures += 1
            self.retry_at = now + delay
            code = self.process.returncode if self.process else None
            _say(
                f"{name} exited with {code}; restarting in {delay} s (attempt {self.failures}); "
                f"its output is in {LOGS / name}.log"
            )
        elif now >= self.retry_at:
            self.start()
            _say(f"{name} restarted")


def control(verb: str, name: str, control_dir: Path = CONTROL, timeout: float = 60) -> None:
    """``restart``, ``stop`` or ``start`` one process of a running estate, and wait until it
    is healthy again (or, for ``stop``, until it no longer answers)."""
    ports_file = control_dir / "ports.json"
    if not ports_file.exists():
        raise SystemExit(f"no embedded estate is running ({ports_file} is missing): make run")
    ports: dict[str, int] = json.loads(ports_file.read_text())
    if name not in ports:
        raise SystemExit(f"the estate runs no {name!r}: one of {', '.join(ports)}")
    stop_marker = control_dir / f"{name}.stop"
    if verb == "stop":
        stop_marker.touch()
    elif verb == "start":
        stop_marker.unlink(missing_ok=True)
    else:
        stop_marker.unlink(missing_ok=True)
        (control_dir / f"{name}.restart").touch()
    url = f"http://127.0.0.1:{ports[name]}/health/live"
    deadline = time.monotonic() + timeout
    time.sleep(1)  # the supervisor looks every 0.5 s
    while time.monotonic() < deadline:
        try:
            up = httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            up = False
        if up == (verb != "stop"):
            print(f"{name}: {'stopped' if verb == 'stop' else 'healthy'}")
            return
        time.sleep(0.2)
    raise SystemExit(
        f"{name} did not {'stop' if verb == 'stop' else 'come back'} in {timeout:.0f} s"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.estate",
        epilog="python -m devtools.estate restart|stop|start <name>: one process of a running "
        "estate (make restart SERVICE=<name>)",
    )
    for name, port in (
        ("emulator", 4566),
        ("identity", 8000),
        ("banking", 8001),
        ("healthcare", 8002),
        ("ecommerce", 8003),
    ):
        parser.add_argument(
            f"--{name}-port", type=int, default=int(os.getenv(f"LIFT_{name.upper()}_PORT", port))
        )
    parser.add_argument("--reload", action="store_true", help="restart services on code changes")
    parser.add_argument(
        "--only", nargs="+", metavar="SERVICE", help="start these services alone (no demo data)"
    )
    parser.add_argument(
        "--ready-file", type=Path, help="written once the demo data is seeded (for tests)"
    )
    parser.add_argument("--control-dir", type=Path, default=CONTROL, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    if sys.argv[1:2] and sys.argv[1] in VERBS:  # one process of a running estate
        verbs = argparse.ArgumentParser(prog="python -m devtools.estate")
        verbs.add_argument("verb", choices=VERBS)
        verbs.add_argument("name", help="identity or a service")
        verbs.add_argument("--control-dir", type=Path, default=CONTROL, help=argparse.SUPPRESS)
        request = verbs.parse_args()
        control(request.verb, request.name, request.control_dir)
        return
    args = _arguments()
    # Stop like Ctrl-C when a supervisor (or a test fixture) asks, even mid start-up.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    started = time.monotonic()
    emulator = Emulator("127.0.0.1", args.emulator_port)
    endpoint = emulator.start()
    identity = Service("identity", "lift_core.devidentity:app_from_environment", args.identity_port)
    args.control_dir.mkdir(parents=True, exist_ok=True)
    for stale in args.control_dir.glob("*"):
        stale.unlink()
    children = [
        Child(
            s,
            _env(args, endpoint, s.name),
            reload=args.reload and s is not identity,
            pid_file=args.control_dir / f"{s.name}.pid",
        )
        for s in (identity, *_services(args))
    ]
    try:
        for child in children:
            child.start()
            assert child.process is not None
            _wait_or_point_at_log(child.service.name, child.url, child.process)
        ports = {c.service.name: c.service.port for c in children}
        (args.control_dir / "ports.json").write_text(json.dumps(ports))
        urls = {c.service.name: c.url for c in children[1:]}
        _announce(args, endpoint, children[0].url, urls, time.monotonic() - started)
        while True:
            now = time.monotonic()
            for child in children:
                child.tick(args.control_dir, now)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping the estate (Ctrl-C)...", flush=True)
    finally:
        for child in children:
            if child.process is not None and child.process.poll() is None:
                child.process.terminate()
        for child in children:
            child.stop()
        (args.control_dir / "ports.json").unlink(missing_ok=True)
        emulator.stop()


def _announce(
    args: argparse.Namespace, endpoint: str, identity: str, urls: dict[str, str], elapsed: float
) -> None:
    emulator_row = (
        "emulator",
        endpoint,
        "DynamoDB + Streams, KMS, Cloud Map, EventBridge, SQS (moto)",
    )
    if all(name in urls for name in BUILT_IN):
        text = banner(identity, urls, seed(identity, urls), extra=[emulator_row])
    else:  # some services alone: where they are, and how to get a token
        rows = [emulator_row, ("identity", identity, f"{identity}/docs")]
        rows += [(name, url, f"{url}/docs") for name, url in urls.items()]
        text = "\n".join(f"  {n:<11} {u:<24} {note}" for n, u, note in rows)
        text += "\n\nA token: make token TENANT=acme SUB=alice ROLES=admin"
    text = f"\nLift estate ready in {elapsed:.1f}s\n\n{text}\n\nCtrl-C stops everything."
    print(text, flush=True)
    if args.ready_file:
        # What the e2e suite needs to run every printed example, as printed.
        partial = args.ready_file.with_suffix(".partial")
        partial.write_text(json.dumps({"urls": urls, "banner": text}))
        partial.replace(args.ready_file)  # atomic: a reader never sees half a file


if __name__ == "__main__":
    main()
