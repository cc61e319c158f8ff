"""``make new-service``: a generated service builds, passes its tests and the repository's
gates, runs in compose, deploys with SAM, and takes later template changes; a bad name
changes nothing.

Everything happens in a throwaway git copy of this working tree, so the template under test
is the one in this commit, uncommitted edits included.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cfnlint.decode import cfn_yaml
from devtools.estate import free_port

from lift_core import LiftSettings
from lift_core.wiring import ServiceTables

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NAME = "insurance"


def run(*command: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    done = subprocess.run(  # noqa: S603 - fixed argv
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def git(*args: str, cwd: Path) -> str:
    identity = ("-c", "user.name=lift-tests", "-c", "user.email=tests@lift.invalid")
    return run("git", *identity, *args, cwd=cwd).stdout


def new_service(name: str, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "devtools.new_service", name, cwd=cwd, check=False)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A git copy of this working tree (tracked and untracked files, minus ignored ones)."""
    copy = tmp_path_factory.mktemp("lift-copy")
    files = run("git", "ls-files", "-co", "--exclude-standard", "-z", cwd=ROOT).stdout
    for rel in filter(None, files.split("\0")):
        source = ROOT / rel
        if source.is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / rel)
    git("init", "-q", cwd=copy)
    git("add", "-A", cwd=copy)
    git("commit", "-qm", "base", cwd=copy)
    yield copy
    shutil.rmtree(copy, ignore_errors=True)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Insurance", "not a valid service name"),
        ("my service", "not a valid service name"),
        ("claims-desk", "not a valid service name"),
        ("banking", "already exists"),
        ("lift_core", "not a valid service name"),
        ("json", "reserved"),
        ("httpx", "shadow the installed package"),
    ],
)
def test_a_bad_name_is_refused_clearly_and_changes_nothing(
    repo: Path, name: str, reason: str
) -> None:
    done = new_service(name, cwd=repo)
    assert done.returncode == 2
    assert reason in done.stderr
    assert git("status", "--porcelain", "--untracked-files=all", cwd=repo) == ""


@pytest.fixture(scope="module")
def generated(repo: Path) -> Path:
    done = new_service(NAME, cwd=repo)
    assert done.returncode == 0, done.stderr
    run("uv", "sync", "--all-packages", "--locked", "--quiet", cwd=repo)
    return repo


# What every service has, generated or written by hand (docs/where-code-goes.md).
SKELETON = (
    "README.md",
    "pyproject.toml",
    "src/{pkg}/bootstrap.py",
    "src/{pkg}/main.py",
    "src/{pkg}/config.py",
    "src/{pkg}/lambda_handler.py",
    "src/{pkg}/domain/exceptions.py",
    "src/{pkg}/service/ports.py",
    "src/{pkg}/adapters/models.py",
    "src/{pkg}/api/deps.py",
    "src/{pkg}/api/schemas.py",
    "src/{pkg}/api/routes/__init__.py",
    "tests/conftest.py",
    "tests/fakes.py",
    "tests/unit",
    "tests/integration",
)


def _missing(service_dir: Path) -> list[str]:
    parts = [p.format(pkg=service_dir.name) for p in SKELETON]
    return [p for p in parts if not (service_dir / p).exists()]


@pytest.mark.parametrize("service", ["banking", "healthcare", "ecommerce"])
def test_the_reference_services_have_the_template_layout(service: str) -> None:
    assert _missing(ROOT / "services" / service) == []


def test_a_generated_service_has_the_reference_services_layout(generated: Path) -> None:
    assert _missing(generated / "services" / NAME) == []
    # And no layer the reference services lack.
    src = generated / "services" / NAME / "src" / NAME
    layers = {p.name for p in src.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert layers == {
        p.name for p in (ROOT / "services/banking/src/banking").iterdir() if p.is_dir()
    } - {"__pycache__"}


def test_the_service_is_registered_in_the_workspace_compose_and_lock(generated: Path) -> None:
    pyproject = (generated / "pyproject.toml").read_text()
    assert f"{NAME} = {{ workspace = true }}" in pyproject
    assert f"services/{NAME}/src" in pyproject
    assert f'name = "{NAME}"' in (generated / "uv.lock").read_text()
    assert f"  - services/{NAME}/compose.yaml" in (generated / "docker-compose.yml").read_text()
    # Generating it again is refused: the name now exists.
    assert "already exists" in new_service(NAME, cwd=generated).stderr


def test_the_generated_tests_pass_and_assert_real_behaviour(generated: Path) -> None:
    python = str(generated / ".venv" / "bin" / "python")
    done = run(
        python, "-m", "pytest", f"services/{NAME}", "-p", "no:cacheprovider", "-q", cwd=generated
    )
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|error)", done.stdout)}
    assert counts.get("passed", 0) >= 20
    assert "failed" not in counts
    assert "error" not in counts

    # The tests are not decoration: break a rule and they fail.
    rules = generated / "services" / NAME / "src" / NAME / "domain" / "cases.py"
    original = rules.read_text()
    rules.write_text(original.replace("if reviewer == case.owner:", "if False:"))
    try:
        broken = run(
            python,
            "-m",
            "pytest",
            f"services/{NAME}",
            "-p",
            "no:cacheprovider",
            "-q",
            cwd=generated,
            check=False,
        )
        assert broken.returncode == 1
        assert "FAILED" in broken.stdout
        assert "test_a_reviewer_decides_once_and_never_their_own_case" in broken.stdout
        assert "test_the_four_eyes_rule_and_reasons_hold_through_the_api" in broken.stdout
    finally:
        rules.write_text(original)


def test_the_generated_service_passes_lint_and_strict_typing(generated: Path) -> None:
    python = str(generated / ".venv" / "bin" / "python")
    run(python, "-m", "ruff", "check", f"services/{NAME}", cwd=generated)
    run(python, "-m", "ruff", "format", "--check", f"services/{NAME}", cwd=generated)
    run(python, "-m", "mypy", f"services/{NAME}", cwd=generated)


def test_its_sam_template_passes_cfn_lint(generated: Path) -> None:
    run(str(generated / ".venv" / "bin" / "cfn-lint"), f"infra/sam/{NAME}.yaml", cwd=generated)


def test_its_sam_template_declares_every_table_the_code_binds(generated: Path) -> None:
    """Its own tables and the ones lift_core binds for every service (audit, idempotency,
    outbox, inbox): a table the template lacks would only fail once deployed."""
    stage = LiftSettings(table_prefix="lift-${Stage}-")
    platform = ServiceTables.bind(stage, NAME, [])
    own = {f"lift-${{Stage}}-{NAME}-{table}" for table in ("cases", "tallies")}
    bound = {m.Meta.table_name for m in platform.owned} | own
    template = cfn_yaml.loads((generated / f"infra/sam/{NAME}.yaml").read_text())
    declared = {
        str(r["Properties"]["TableName"]["Fn::Sub"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::DynamoDB::Table"
    }
    assert declared == bound


def test_the_compose_estate_includes_it(generated: Path) -> None:
    if (
        shutil.which("docker") is None
        or run("docker", "compose", "version", cwd=generated, check=False).returncode != 0
    ):
        if os.environ.get("E2E_REQUIRE_DOCKER") == "1":
            pytest.fail("docker compose is required here (E2E_REQUIRE_DOCKER=1)")
        pytest.skip("no docker compose CLI on this machine")
    run("docker", "compose", "config", "--quiet", cwd=generated)
    services = run("docker", "compose", "config", "--services", cwd=generated).stdout.split()
    assert {NAME, "banking", "healthcare", "ecommerce"} <= set(services)


def test_a_later_template_change_reaches_the_service_with_update(generated: Path) -> None:
    git("add", "-A", cwd=generated)
    git("commit", "-qm", f"generate {NAME}", cwd=generated)
    readme = generated / "templates" / "service" / "services" / "{{ service }}" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nOwned by the {{ service }} team.\n")
    git("commit", "-qam", "template: name the owning team", cwd=generated)

    run(sys.executable, "-m", "devtools.new_service", "--update", NAME, cwd=generated)
    changed = set(git("diff", "--name-only", cwd=generated).split())
    assert changed == {f"services/{NAME}/README.md", f"services/{NAME}/.copier-answers.yml"}
    assert "_src_path: ." in (generated / "services" / NAME / ".copier-answers.yml").read_text()
    assert f"Owned by the {NAME} team." in (generated / "services" / NAME / "README.md").read_text()


def test_make_run_serves_it_with_the_estate_and_alone(generated: Path, tmp_path: Path) -> None:
    python = str(generated / ".venv" / "bin" / "python")
    listed = run(
        python,
        "-c",
        "import sys; from devtools import estate; sys.argv = ['estate']; "
        "print(' '.join(f'{s.name}:{s.port}' for s in estate._services(estate._arguments())))",
        cwd=generated,
    ).stdout.split()
    port = re.search(r":-(\d+)\}:8000", (generated / f"services/{NAME}/compose.yaml").read_text())
    assert port is not None
    assert listed == ["banking:8001", "healthcare:8002", "ecommerce:8003", f"{NAME}:{port[1]}"]

    ports = {name: str(free_port()) for name in ("emulator", "identity", NAME)}
    ready = tmp_path / "ready.json"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env[f"LIFT_{NAME.upper()}_PORT"] = ports[NAME]
    argv = [python, "-m", "devtools.estate", "--only", NAME, "--ready-file", str(ready)]
    argv += ["--emulator-port", ports["emulator"], "--identity-port", ports["identity"]]
    argv += ["--control-dir", str(tmp_path / "control")]
    estate = subprocess.Popen(argv, cwd=generated, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 90
        while not ready.exists():
            assert estate.poll() is None, "the estate exited before it was ready"
            assert time.monotonic() < deadline, "the estate was not ready within 90 s"
            time.sleep(0.2)
        banner = json.loads(ready.read_text())["banner"]
        assert f"http://127.0.0.1:{ports[NAME]}/docs" in banner
        token = httpx.post(
            f"http://127.0.0.1:{ports['identity']}/token",
            json={"tenant_id": "acme", "subject": "alice", "roles": ["customer"]},
        ).json()["access_token"]
        cases = httpx.get(
            f"http://127.0.0.1:{ports[NAME]}/api/v1/cases",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert cases.status_code == 200, cases.text
        assert cases.json()["items"] == []
        # Its docs, like the reference services': every request body carries an example.
        doc = httpx.get(f"http://127.0.0.1:{ports[NAME]}/openapi.json").json()
        bodies = [
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            for ops in doc["paths"].values()
            for op in ops.values()
            if "requestBody" in op
        ]
        assert bodies
        assert [b for b in bodies if not doc["components"]["schemas"][b].get("examples")] == []
    finally:
        estate.terminate()
        estate.wait(timeout=30)
