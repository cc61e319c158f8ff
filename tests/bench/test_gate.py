"""The benchmark gate's decision: a ratio fails only when it is worse than the baseline by
more than 10% with 95% confidence, in the direction that is worse for that ratio."""

from __future__ import annotations

import pytest
from bench.check import judge

pytestmark = pytest.mark.unit


def test_a_ratio_at_its_baseline_passes() -> None:
    verdict = judge("rps", [0.34, 0.35, 0.33, 0.36, 0.35, 0.34], baseline=0.345, better="higher")
    assert not verdict.regressed
    assert verdict.low < 0.345 < verdict.high


def test_a_clear_twenty_percent_drop_in_throughput_fails() -> None:
    verdict = judge("rps", [0.27, 0.28, 0.275, 0.28, 0.27, 0.276], baseline=0.345, better="higher")
    assert verdict.regressed
    assert verdict.p_value < 0.05
    assert verdict.threshold == pytest.approx(0.345 * 0.9)


def test_a_drop_within_the_tolerance_passes() -> None:
    verdict = judge("rps", [0.32, 0.33, 0.325, 0.33, 0.32, 0.326], baseline=0.345, better="higher")
    assert not verdict.regressed


def test_a_noisy_run_without_confidence_does_not_fail() -> None:
    # Mean 15% below the baseline, but the rounds disagree too much to be 95% sure.
    rounds = [0.15, 0.45, 0.2, 0.4, 0.25, 0.3]
    verdict = judge("rps", rounds, baseline=0.345, better="higher")
    assert not verdict.regressed


def test_for_latency_ratios_higher_is_the_regression() -> None:
    slower = [1.45, 1.5, 1.48, 1.52, 1.47, 1.5]
    assert judge("cold", slower, baseline=1.2, better="lower").regressed
    assert not judge("cold", slower, baseline=1.2, better="higher").regressed
    faster = [0.9, 0.92, 0.91, 0.9, 0.93, 0.9]
    assert not judge("cold", faster, baseline=1.2, better="lower").regressed


def test_too_few_rounds_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 3 rounds"):
        judge("rps", [0.3, 0.3], baseline=0.3, better="higher")
