"""Every example the estate prints on start works, run exactly as printed (with the tokens
it printed), against the estate that printed it: each curl, and the ``make token`` line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest
from e2e_client import Target

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _commands(banner: str) -> tuple[list[str], list[tuple[str, int | None]]]:
    """The ``export TOKEN_…`` lines, and each printed curl with the status its comment
    announces (None: any 2xx). Backslash-continued lines are joined, as a shell would."""
    exports = re.findall(r"(export TOKEN_\w+=\S+)", banner)
    joined = re.sub(r"\\\n\s*", " ", banner)
    commands = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line.startswith("curl "):
            continue
        command, _, comment = line.partition("#")
        expected = re.match(r"\s*(\d{3})", comment)
        commands.append((command.strip(), int(expected.group(1)) if expected else None))
    return exports, commands


def test_every_printed_example_answers_as_announced(target: Target) -> None:
    if target.banner is None:
        pytest.skip("only the embedded estate (make run) prints examples")
    exports, commands = _commands(target.banner)
    assert len(exports) >= 5
    assert len(commands) >= 10  # the parsing found the examples
    failures = []
    for command, expected in commands:
        script = "; ".join([*exports, f"{command} -o /dev/null -w '%{{http_code}}'"])
        done = subprocess.run(  # noqa: S603 - the estate's own printed examples
            ["bash", "-c", script],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        status = int(done.stdout.strip() or 0)
        ok = status == expected if expected else 200 <= status < 300
        if not ok:
            failures.append(f"{status} (expected {expected or '2xx'}): {command[:120]}")
    assert failures == []


def test_the_printed_make_token_line_mints_a_token_the_estate_accepts(target: Target) -> None:
    if target.banner is None:
        pytest.skip("only an estate that printed a banner")
    line = next(x.strip() for x in target.banner.splitlines() if "make token " in x)
    done = subprocess.run(  # noqa: S603 - the estate's own printed example
        ["bash", "-c", f"{line} --no-print-directory"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    accounts = httpx.get(
        f"{target.banking}/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}
    )
    assert accounts.status_code == 200, accounts.text
    assert accounts.json()["items"] == []  # carol, of globex, holds nothing
