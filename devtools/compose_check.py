"""Can this machine start the compose estate? ``problem`` answers None, or one line naming what
is missing and the fix: no engine, no compose v2, or an image that is neither here nor
pullable (the emulator's, the tracing profile's, or a Dockerfile's base).

``make up`` runs it before ``docker compose up``; the compose e2e journeys skip with its line.
Run alone: ``uv run python -m devtools.compose_check [--localstack] [--tracing]``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASE_FILE = "docker-compose.yml"
LOCALSTACK_FILE = "docker-compose.localstack.yml"

# What to do when an image cannot be had, by the image's repository.
FIXES = {
    "localstack/localstack": "drop EMULATOR=localstack (the default emulator, moto, is built "
    "locally) or make Docker Hub reachable",
    "jaegertracing/all-in-one": "drop TRACING=1 or make Docker Hub reachable",
}
BASE_FIX = "run infra/bootstrap-offline.sh, which builds a local stand-in for it"


def compose_ports(path: Path) -> list[int]:
    """The default host ports a compose file publishes for services (``${LIFT_X_PORT:-N}:8000``)."""
    return (
        [int(port) for port in re.findall(r":-(\d+)\}:8000", path.read_text())]
        if path.exists()
        else []
    )


def compose_files(*, localstack: bool = False) -> list[str]:
    return [BASE_FILE, *([LOCALSTACK_FILE] if localstack else [])]


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv, cwd=ROOT, capture_output=True, text=True, check=False, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def _base_images(dockerfile: Path) -> list[str]:
    """The images a Dockerfile builds FROM, without its own stages."""
    stages: set[str] = set()
    images: list[str] = []
    for match in re.finditer(
        r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile.read_text(), re.M | re.I
    ):
        image, alias = match.group(1), match.group(2)
        if image not in stages and image not in images:
            images.append(image)
        if alias:
            stages.add(alias)
    return images


def images(config: Mapping[str, Any]) -> list[str]:
    """Every image ``docker compose up --build`` must find or pull for this configuration."""
    needed: list[str] = []
    for spec in config.get("services", {}).values():
        build = spec.get("build")
        found = (
            _base_images(Path(build["context"]) / build.get("dockerfile", "Dockerfile"))
            if build
            else [spec["image"]]
        )
        needed += [image for image in found if image not in needed]
    return needed


def problem(files: list[str], *, profiles: tuple[str, ...] = ()) -> str | None:
    engine = _run(["docker", "info", "--format", "{{.ServerVersion}}"], 20)
    if engine is None or engine.returncode != 0:
        return (
            "no Docker engine answers: start one, or run infra/bootstrap-offline.sh (it starts one)"
        )
    if (found := _run(["docker", "compose", "version"], 20)) is None or found.returncode != 0:
        return "docker compose v2 is missing: infra/bootstrap-offline.sh installs it"
    argv = ["docker", "compose", *(a for f in files for a in ("-f", f))]
    argv += [a for p in profiles for a in ("--profile", p)]
    rendered = _run([*argv, "config", "--format", "json"], 60)
    if rendered is None or rendered.returncode != 0:
        detail = rendered.stderr.strip().splitlines()[-1:] if rendered else ["timed out"]
        return f"the compose configuration does not render: {' '.join(detail)}"
    for image in images(json.loads(rendered.stdout)):
        here = _run(["docker", "image", "inspect", image], 20)
        if here is not None and here.returncode == 0:
            continue
        pulled = _run(["docker", "pull", "--quiet", image], 120)
        if pulled is not None and pulled.returncode == 0:
            continue
        fix = FIXES.get(image.rsplit(":", 1)[0], BASE_FIX)
        return f"{image} is not on this machine and cannot be pulled: {fix}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--localstack", action="store_true", help="with LocalStack's override")
    parser.add_argument("--tracing", action="store_true", help="with the tracing profile")
    args = parser.parse_args(argv)
    found = problem(
        compose_files(localstack=args.localstack), profiles=("tracing",) if args.tracing else ()
    )
    if found:
        print(f"make up: {found}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
