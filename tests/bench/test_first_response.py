"""Cold start is timed from spawning the child to its response, not to the child's exit, and
its memory is the child's own peak, not its parent's."""

from __future__ import annotations

import sys
import time

import pytest
from bench.harness import PEAK_RSS_KIB, first_response

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


def test_the_peak_rss_is_the_childs_not_the_parents() -> None:
    ballast = b"x" * (300 * 2**20)  # this process now peaks above 300 MiB
    code = f"import time\nprint({PEAK_RSS_KIB})\nprint(time.monotonic())"
    _, output = first_response([sys.executable, "-c", code], env={})
    assert int(output[-1]) < 100 * 1024  # getrusage's ru_maxrss would report over 300 MiB
    assert len(ballast) == 300 * 2**20  # alive until the child has answered
