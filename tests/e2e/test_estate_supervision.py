"""The embedded estate keeps its services up: one that dies is started again with back-off,
and ``python -m devtools.estate restart <name>`` (``make restart SERVICE=<name>``) restarts
one on purpose, its data kept (the emulator holds it)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from devtools.estate import control
from e2e_client import Lift, Target

pytestmark = pytest.mark.e2e


def _pid(control_dir: Path, name: str) -> int:
    return int((control_dir / f"{name}.pid").read_text())


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/live", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _supervised(target: Target) -> Path:
    if target.control_dir is None:
        pytest.skip("only the embedded estate has this supervisor (compose restarts containers)")
    return target.control_dir


def test_a_killed_service_is_started_again_and_keeps_its_data(target: Target) -> None:
    control_dir = _supervised(target)
    teller = Lift(target, "acme", "tina", ["teller"])
    account = teller.open_account(owner="kill-test")
    teller.deposit(account, 700)
    before = _pid(control_dir, "banking")
    os.kill(before, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not (_pid(control_dir, "banking") != before and _healthy(target.banking)):
        assert time.monotonic() < deadline, "banking was not started again within 60 s"
        time.sleep(0.2)
    assert teller.balance(account) == 700


def test_restart_on_purpose_answers_once_the_service_is_healthy(target: Target) -> None:
    control_dir = _supervised(target)
    before = _pid(control_dir, "healthcare")
    control("restart", "healthcare", control_dir)
    assert _pid(control_dir, "healthcare") != before
    assert _healthy(target.healthcare)
    with pytest.raises(SystemExit, match="the estate runs no 'nosuch'"):
        control("restart", "nosuch", control_dir)
