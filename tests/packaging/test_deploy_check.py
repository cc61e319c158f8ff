"""``make deploy`` names every missing input before it builds anything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from devtools import deploy_check

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
COMPLETE = "JwtIssuer=https://id.example JwksUrl=https://id.example/jwks BlindIndexKeySecret=k"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS configuration at all: no profile files, no variables, no instance metadata."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


def configured(aws: pytest.MonkeyPatch) -> None:
    aws.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    aws.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    aws.setenv("AWS_SECRET_ACCESS_KEY", "example")


def test_a_complete_deploy_has_no_problem(aws: pytest.MonkeyPatch) -> None:
    configured(aws)
    assert deploy_check.problems("banking", "staging", COMPLETE) == []


@pytest.mark.parametrize(
    ("stack", "stage", "params", "expected"),
    [
        (
            "",
            "staging",
            COMPLETE,
            "SERVICE is required: one of banking, ecommerce, healthcare, mesh",
        ),
        ("bank", "staging", COMPLETE, "SERVICE=bank has no infra/sam/bank.yaml"),
        ("banking", "", COMPLETE, "STAGE is required: one of staging|prod"),
        ("banking", "dev", COMPLETE, "STAGE=dev is not one of staging|prod"),
        ("banking", "prod", "JwtIssuer=x", "PARAMS lacks JwksUrl, BlindIndexKeySecret"),
        ("banking", "prod", f"{COMPLETE} Colour=red", "PARAMS names Colour, which"),
        (
            "banking",
            "prod",
            f"{COMPLETE} Registry=dns",
            "PARAMS Registry=dns is not one of static|cloudmap",
        ),
        ("banking", "prod", f"{COMPLETE} Stage=prod", "PARAMS sets Stage; pass it as STAGE=prod"),
        ("banking", "prod", f"{COMPLETE} oops", "PARAMS entry 'oops' is not Key=Value"),
        ("ecommerce", "prod", COMPLETE, "PARAMS lacks TokenUrl, ClientId, ClientSecretName"),
    ],
)
def test_each_wrong_input_is_named(
    aws: pytest.MonkeyPatch, stack: str, stage: str, params: str, expected: str
) -> None:
    configured(aws)
    found = deploy_check.problems(stack, stage, params)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_no_region_and_no_credentials_are_both_named(aws: pytest.MonkeyPatch) -> None:
    found = deploy_check.problems("banking", "staging", COMPLETE)
    assert [line.split(":")[0] for line in found] == ["no AWS region", "no AWS credentials"]


def test_make_deploy_stops_before_building(aws: pytest.MonkeyPatch, tmp_path: Path) -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "deploy", "SERVICE=banking", "STAGE=staging"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "make deploy: cannot deploy banking yet:" in done.stderr
    assert "PARAMS lacks JwtIssuer, JwksUrl, BlindIndexKeySecret" in done.stderr
    assert "no AWS credentials" in done.stderr
    assert "devtools.package" not in done.stdout + done.stderr
