"""The compose estate publishes its ports on the loopback interface unless told otherwise: the
dev issuer mints any token, so it must not answer the network by default."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from devtools import compose_check

from lift_core.dynamo import AWS_SERVICES

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
    argv = ["docker", "compose", "-f", "docker-compose.yml", "--profile", "tracing"]
    rendered = subprocess.run(  # noqa: S603
        [*argv, "config", "--format", "json"],
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


def test_the_images_to_find_are_base_images_and_pulled_images_not_stages() -> None:
    config = {
        "services": {
            "banking": {"build": {"context": str(ROOT), "dockerfile": "services/Dockerfile"}},
            "emulator": {"image": "localstack/localstack:4.0.3"},
            "jaeger": {"image": "jaegertracing/all-in-one:1.62.0"},
        }
    }
    assert compose_check.images(config) == [
        "python:3.11-slim",
        "localstack/localstack:4.0.3",
        "jaegertracing/all-in-one:1.62.0",
    ]


@pytest.mark.parametrize(
    ("image", "fix"),
    [
        ("localstack/localstack:4.0.3", "drop EMULATOR=localstack"),
        ("jaegertracing/all-in-one:1.62.0", "drop TRACING=1"),
        ("python:3.11-slim", "infra/bootstrap-offline.sh"),
    ],
)
def test_an_image_neither_here_nor_pullable_is_one_line_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch, image: str, fix: str
) -> None:
    config = json.dumps({"services": {"x": {"image": image}}})

    def docker(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        verb = argv[1:3]
        ok = verb in (["info", "--format"], ["compose", "version"]) or "config" in argv
        out = config if "config" in argv else ""
        return subprocess.CompletedProcess(argv, 0 if ok else 1, out, "")

    monkeypatch.setattr(compose_check, "_run", docker)
    found = compose_check.problem(["docker-compose.yml"])
    assert found is not None
    assert found.startswith(f"{image} is not on this machine and cannot be pulled: ")
    assert fix in found
    assert "\n" not in found


def test_no_engine_names_the_bootstrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compose_check, "_run", lambda argv, timeout: None)
    assert compose_check.problem(["docker-compose.yml"]) == (
        "no Docker engine answers: start one, or run infra/bootstrap-offline.sh (it starts one)"
    )


def test_the_localstack_override_serves_every_aws_api_the_compose_estate_calls() -> None:
    """LocalStack starts only the APIs named in ``SERVICES``: one the code calls but the
    override leaves out would fail only for users with Docker Hub (the image cannot be
    pulled here). Cloud Map is not called under compose: its registry is static URLs."""
    override = (ROOT / "docker-compose.localstack.yml").read_text()
    match = re.search(r"^\s+SERVICES: ([\w,]+)$", override, re.MULTILINE)
    assert match is not None
    base = (ROOT / "docker-compose.yml").read_text()
    assert "LIFT_MESH_SERVICES" in base
    assert "CLOUD_MAP" not in base
    assert set(match[1].split(",")) >= AWS_SERVICES - {"servicediscovery"}
