"""``make load`` runs each service's journey against the estate and reports every step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_client import Target

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_the_load_scenarios_run_every_step_without_a_failure(target: Target) -> None:
    urls = {
        "IDENTITY_URL": target.identity,
        "BANKING_URL": target.banking,
        "HEALTHCARE_URL": target.healthcare,
        "ECOMMERCE_URL": target.ecommerce,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--target", "url", "--users", "1", "--seconds", "2"],
        cwd=ROOT,
        env={**os.environ, **urls},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # bench.load is not imported here: Locust patches the standard library for gevent.
    rows = [
        cells
        for line in done.stdout.splitlines()
        if line.startswith("| ") and len(cells := [c.strip() for c in line.split("|")]) > 9
    ][1:]  # after the header
    assert {row[1] for row in rows} == {"banking", "ecommerce", "healthcare"}
    assert len(rows) == 6  # transfer and balance; item, checkout and order; record read
    for row in rows:
        assert int(row[4]) > 0, row  # requests
        assert row[5] == "0", row  # failures
