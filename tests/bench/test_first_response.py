"""Cold start is timed from spawning the child to its response, not to the child's exit."""

from __future__ import annotations

import sys
import time

import pytest
from bench.harness import first_response

pytestmark = pytest.mark.integration

CHILD = """
import time
time.sleep(0.2)  # the cold start
print("rss 42")
print(time.monotonic())  # answered
time.sleep(1.0)  # a slow exit
"""


def test_the_clock_stops_at_the_response_and_other_output_is_returned() -> None:
    started = time.monotonic()
    seconds, output = first_response([sys.executable, "-c", CHILD], env={})
    whole = time.monotonic() - started
    assert 0.2 <= seconds < 0.9  # the second of exit is not counted
    assert whole >= 1.2
    assert output == ["rss 42"]
