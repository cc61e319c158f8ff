"""The compose estate publishes its ports on the loopback interface unless told otherwise: the
dev issuer mints any token, so it must not answer the network by default."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
BIND = "${LIFT_BIND_ADDRESS:-127.0.0.1}:"
FILES = [
    ROOT / "docker-compose.yml",
    *sorted(ROOT.glob("services/*/compose.yaml")),
    *sorted(ROOT.glob("templates/service/services/*/compose.yaml.jinja")),
]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_published_port_names_the_bind_address(path: Path) -> None:
    services = yaml.safe_load(path.read_text().replace("{{", "").replace("}}", ""))["services"]
    ports = {name: spec.get("ports", []) for name, spec in services.items()}
    assert any(ports.values()), f"{path.name} publishes no port"
    unbound = {
        name: p for name, entries in ports.items() for p in entries if not p.startswith(BIND)
    }
    assert not unbound, f"published without {BIND}: {unbound}"


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI to render the config")
def test_the_rendered_estate_binds_loopback_only() -> None:
    rendered = subprocess.run(
        [
            "docker",
            "compose",
            "-f",
            "docker-compose.yml",
            "--profile",
            "tracing",
            "config",
            "--format",
            "json",
        ],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
    )
    services = json.loads(rendered.stdout)["services"]
    published = [(name, p) for name, spec in services.items() for p in spec.get("ports", [])]
    assert len(published) >= 6, published
    assert {p.get("host_ip") for _, p in published} == {"127.0.0.1"}, published
