"""``make bench-check``: fail when a benchmark ratio regresses, with 95% confidence.

Absolute times depend on the machine and what else it is doing; a ratio between the code
under test and its baseline, measured side by side in the same round, mostly does not. So
each gated benchmark yields one ratio per round, for example lift_core's requests/s over
bare FastAPI's in the same round. Over the rounds, a one-sided one-sample t-test (scipy)
asks whether the mean ratio is worse than the committed baseline by more than the
tolerance (10%). The gate fails when that holds with 95% confidence (p < 0.05).

``--short`` runs fewer and shorter rounds (CI); ``--update-baseline`` records this run's
means in ``bench/baseline.json``, under ``short`` or ``full`` (commit it, with the machine
noted, after a deliberate change).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from scipy import stats

from bench import cold_start, lift_core_overhead, mesh_overhead
from bench.harness import RESULTS, ROOT, print_table

BASELINE = ROOT / "bench" / "baseline.json"
TOLERANCE = 0.10
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Ratio:
    name: str
    what: str
    better: Literal["higher", "lower"]
    run: Callable[[bool], dict[str, Any]]
    per_round: Callable[[dict[str, Any]], list[float]]


RATIOS = (
    Ratio(
        "lift_core_rps",
        "lift_core stack req/s over bare FastAPI",
        "higher",
        lambda short: lift_core_overhead.run(seconds=2 if short else 5, rounds=6 if short else 8),
        lambda d: [
            lift["rps"] / bare["rps"]
            for lift, bare in zip(d["samples"]["lift"], d["samples"]["bare"], strict=True)
        ],
    ),
    Ratio(
        "mesh_latency",
        "ServiceClient p50 over raw httpx",
        "lower",
        lambda short: mesh_overhead.run(rounds=6 if short else 10),
        lambda d: [m / r for m, r in zip(d["rounds"]["mesh"], d["rounds"]["raw"], strict=True)],
    ),
    Ratio(
        "cold_start",
        "lift_core Lambda cold start over bare FastAPI+Mangum",
        "lower",
        lambda short: cold_start.run(rounds=6 if short else 10),
        lambda d: [
            lift[0] / bare[0]
            for lift, bare in zip(d["samples"]["lift"], d["samples"]["bare"], strict=True)
        ],
    ),
)


@dataclass(frozen=True)
class Verdict:
    name: str
    baseline: float
    threshold: float
    mean: float
    low: float
    high: float
    p_value: float

    @property
    def regressed(self) -> bool:
        return self.p_value < 1 - CONFIDENCE


def judge(name: str, rounds: list[float], baseline: float, better: str) -> Verdict:
    """Is the mean of ``rounds`` worse than ``baseline`` by more than the tolerance, with
    95% confidence? One-sided one-sample t-test against the tolerance threshold."""
    if len(rounds) < 3:
        raise ValueError(f"{name}: a confidence needs at least 3 rounds, got {len(rounds)}")
    if better == "higher":
        threshold = baseline * (1 - TOLERANCE)
        alternative = "less"  # regressed: the true mean is below the threshold
    else:
        threshold = baseline * (1 + TOLERANCE)
        alternative = "greater"
    mean = statistics.fmean(rounds)
    if statistics.pstdev(rounds) == 0:  # identical rounds: the t-test is undefined
        worse = mean < threshold if better == "higher" else mean > threshold
        return Verdict(name, baseline, threshold, mean, mean, mean, 0.0 if worse else 1.0)
    test = stats.ttest_1samp(rounds, threshold, alternative=alternative)
    interval = stats.ttest_1samp(rounds, threshold).confidence_interval(CONFIDENCE)
    return Verdict(name, baseline, threshold, mean, interval.low, interval.high, float(test.pvalue))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-check", description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="fewer, shorter rounds (CI)")
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("ratios", nargs="*", choices=[[], *(r.name for r in RATIOS)])
    args = parser.parse_args(argv)
    chosen = [r for r in RATIOS if not args.ratios or r.name in args.ratios]
    # One baseline per mode: the window length moves some ratios (lift_core's req/s ratio is
    # about 0.38 over 5 s windows and 0.45 over 2 s ones), so a short run is only compared
    # with short runs.
    mode = "short" if args.short else "full"
    recorded: dict[str, Any] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    baseline: dict[str, Any] = recorded.setdefault(mode, {})
    measured: dict[str, list[float]] = {}
    for ratio in chosen:
        measured[ratio.name] = ratio.per_round(ratio.run(args.short))

    if args.update_baseline:
        for ratio in chosen:
            baseline[ratio.name] = {
                "mean": statistics.fmean(measured[ratio.name]),
                "rounds": measured[ratio.name],
                "better": ratio.better,
                "what": ratio.what,
                "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {platform.python_version()}",
            }
        BASELINE.write_text(json.dumps(recorded, indent=2) + "\n")
        print(f"{mode} baseline updated: {', '.join(measured)} -> {BASELINE.relative_to(ROOT)}")
        return 0

    missing = [r.name for r in chosen if r.name not in baseline]
    if missing:
        print(
            f"no {mode} baseline for {', '.join(missing)}: run with --update-baseline"
            f"{' --short' if args.short else ''}",
            file=sys.stderr,
        )
        return 2
    verdicts = [judge(r.name, measured[r.name], baseline[r.name]["mean"], r.better) for r in chosen]
    rows = [
        [
            v.name,
            f"{v.baseline:.3f}",
            f"{v.mean:.3f} [{v.low:.3f}, {v.high:.3f}]",
            f"{'>=' if r.better == 'higher' else '<='} {v.threshold:.3f}",
            f"{v.p_value:.3f}",
            "REGRESSED" if v.regressed else "ok",
        ]
        for v, r in zip(verdicts, chosen, strict=True)
    ]
    table = print_table(
        f"Benchmark gate: ratio vs committed baseline, tolerance {TOLERANCE:.0%}, "
        f"{CONFIDENCE:.0%} one-sided ({'short' if args.short else 'full'} run)",
        ["ratio", "baseline", "this run: mean [95% CI]", "must stay", "p", "verdict"],
        rows,
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "check.md").write_text(table)
    (RESULTS / "check.json").write_text(
        json.dumps({"rounds": measured, "verdicts": [v.__dict__ for v in verdicts]}, indent=2)
    )
    return 1 if any(v.regressed for v in verdicts) else 0


if __name__ == "__main__":
    raise SystemExit(main())
