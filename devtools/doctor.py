"""``make doctor``: what this machine has for Lift, and what each missing piece disables.

Each check prints ``ok`` or ``missing``, what it found, and, when missing, what it turns off
and how to get it. Nothing is installed or changed. Exit 0 when ``make run`` and ``make
test`` can work here (uv, Python 3.11+, the estate's ports free), 1 otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

PORTS = {"emulator": 4566, "identity": 8000, "banking": 8001, "healthcare": 8002, "ecommerce": 8003}
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"  # trusts a TLS-inspecting proxy, if any


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    found: str
    without: str  # what is disabled without it, and the fix
    essential: bool = False


def _output(*argv: str, timeout: float = 20) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv, capture_output=True, text=True, check=False, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _reachable(url: str) -> str | None:
    """The HTTP status ``url`` answers with (any status: the registry is there), or None."""
    context = ssl.create_default_context(cafile=HOST_CA if os.path.exists(HOST_CA) else None)
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as answer:  # noqa: S310
            return str(answer.status)
    except urllib.error.HTTPError as refused:
        return str(refused.code)
    except (OSError, ValueError):
        return None


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _tool(name: str, argv: tuple[str, ...], without: str, *, essential: bool = False) -> Finding:
    version = _output(*argv) if shutil.which(argv[0]) else None
    first = version.splitlines()[0] if version else "not found"
    return Finding(name, version is not None, first, without, essential)


def checks() -> list[Callable[[], Finding]]:
    python_ok = sys.version_info >= (3, 11)
    return [
        lambda: Finding(
            "python",
            python_ok,
            sys.version.split()[0],
            "everything: Lift needs CPython 3.11 or newer",
            essential=True,
        ),
        lambda: _tool(
            "uv",
            ("uv", "--version"),
            "nothing for long: every make target installs it (pip install --user uv)",
        ),
        lambda: _tool(
            "docker engine",
            ("docker", "info", "--format", "{{.ServerVersion}}"),
            "make up and the compose journeys of make test (skipped with one line); "
            "infra/bootstrap-offline.sh starts an engine",
        ),
        lambda: _tool(
            "docker compose v2",
            ("docker", "compose", "version", "--short"),
            "make up and the compose journeys; infra/bootstrap-offline.sh installs it",
        ),
        lambda: _registry(
            "Docker Hub",
            "https://registry-1.docker.io/v2/",
            "make up EMULATOR=localstack and TRACING=1 (their images); the default compose "
            "estate needs only python:3.11-slim, which infra/bootstrap-offline.sh builds",
        ),
        lambda: _registry(
            "PyPI",
            "https://pypi.org/simple/uv/",
            "installing uv and the locked environment on a machine that has neither",
        ),
        lambda: _tool(
            "chromium",
            ("chromium", "--version"),
            "the /docs browser test (skipped); make test installs chromium where apt-get can",
        ),
        lambda: _tool(
            "chromedriver",
            ("chromedriver", "--version"),
            "the /docs browser test (skipped); apt-get install chromium-driver",
        ),
        lambda: _tool(
            "wrk",
            ("wrk", "--version"),
            "nothing: make bench installs it with apt-get",
        ),
        _ports,
        _aws,
    ]


def _registry(name: str, url: str, without: str) -> Finding:
    status = _reachable(url)
    return Finding(
        name, status is not None, f"answers {status}" if status else "unreachable", without
    )


def _ports() -> Finding:
    busy = [f"{name} :{port}" for name, port in PORTS.items() if not _port_free(port)]
    return Finding(
        "free ports",
        not busy,
        "4566, 8000-8003 free" if not busy else "in use: " + ", ".join(busy),
        "make run on its default ports: stop the other estate or set LIFT_<NAME>_PORT",
        essential=True,
    )


def _aws() -> Finding:
    try:
        import boto3
    except ImportError:  # before the environment is installed: what the variables say
        region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
        keys = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID")
        found, where = bool(region and keys), region
    else:
        session = boto3.Session()
        found = session.region_name is not None and session.get_credentials() is not None
        where = session.region_name
    return Finding(
        "AWS credentials",
        found,
        f"region {where}" if found else "none",
        "make deploy only (it lists what is missing before it builds)",
    )


def main() -> int:
    findings = [check() for check in checks()]
    width = max(len(f.name) for f in findings)
    for f in findings:
        mark = "ok     " if f.ok else "missing"
        line = f"  {mark} {f.name:<{width}}  {f.found}"
        print(line if f.ok else f"{line}\n          {'':<{width}}  without it: {f.without}")
    blocked = [f.name for f in findings if f.essential and not f.ok]
    if blocked:
        print(f"\nmake run and make test cannot work here until {', '.join(blocked)} is fixed")
        return 1
    print("\nmake run and make test can work here; what is missing above only turns off its part")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
