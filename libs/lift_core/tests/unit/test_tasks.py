"""Periodic jobs: they run while the app serves, survive a failing pass, stop on shutdown;
the same job run once from a command or a scheduled Lambda."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import pytest

from lift_core.tasks import OnePass, PeriodicJob, background

pytestmark = pytest.mark.unit


async def test_a_job_runs_repeatedly_survives_a_failure_and_stops_with_the_app(
    caplog: pytest.LogCaptureFixture,
) -> None:
    passes: list[int] = []
    closed: list[bool] = []

    async def job() -> str | None:
        passes.append(len(passes))
        if len(passes) == 2:
            raise RuntimeError("banking is down")
        return f"pass {len(passes)}"

    async def close() -> None:
        closed.append(True)

    lifespan = background(PeriodicJob("probe", 0.01, job), on_shutdown=close)
    with caplog.at_level(logging.INFO, logger="lift.tasks"):
        async with lifespan(None):
            while len(passes) < 4:
                await asyncio.sleep(0.01)
        count = len(passes)
        await asyncio.sleep(0.05)
    assert len(passes) == count  # nothing runs after shutdown
    assert closed == [True]
    messages = [r.getMessage() for r in caplog.records]
    assert "probe: the pass failed; the next one tries again" in messages
    assert "probe: pass 3" in messages


async def test_an_interval_of_zero_runs_nothing() -> None:
    ran: list[int] = []

    async def job() -> str | None:
        ran.append(1)
        return None

    async with background(PeriodicJob("off", 0, job))(None):
        await asyncio.sleep(0.05)
    assert ran == []


@dataclass
class Report:
    examined: int
    left: int


@pytest.mark.parametrize(("left", "code"), [(0, 0), (2, 3)])
def test_one_pass_prints_its_report_and_exits_3_while_work_is_left(
    capsys: pytest.CaptureFixture[str], left: int, code: int
) -> None:
    async def run() -> Report:
        return Report(examined=5, left=left)

    job = OnePass(run, unfinished="left")
    assert job.main() == code
    assert json.loads(capsys.readouterr().out) == {"examined": 5, "left": left}
    assert job.handler({}, None) == {"examined": 5, "left": left}
