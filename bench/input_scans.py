"""Scans of client input (the free-text rule's PAN/SSN search, log redaction, the JSON depth
check) over hostile shapes of 10 KB, 100 KB and 1 MB, beside a baseline in the same run:
``bytes.count`` over the same input, the cheapest linear pass there is.

Linear means the time per KB stays flat from 10 KB to 1 MB (the x10 columns stay near 10).
The old e-mail pattern is timed too, on 10/20/40 KB only: it was quadratic (x4 per doubling).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from lift_core.bodyguard import json_too_deep
from lift_core.redaction import find_sensitive, redact_text

from bench.harness import print_table, save

SIZES = (10_000, 100_000, 1_000_000)
SHAPES: dict[str, Callable[[int], str]] = {
    "letters": lambda n: "a" * n,
    "digit groups": lambda n: "1 " * (n // 2),
    "x@ pairs": lambda n: "x@" * (n // 2),
    "deep JSON": lambda n: "[" * (n // 2) + "]" * (n // 2),
}
_OLD_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _best_of(scan: Callable[[str], object], text: str, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        scan(text)
        best = min(best, time.perf_counter() - started)
    return best


def _depth(text: str) -> bool:
    return json_too_deep(text.encode())


def _count(text: str) -> int:
    return text.encode().count(b"@")


def run() -> dict[str, Any]:
    rows, data = [], {}
    for shape, make in SHAPES.items():
        scans: tuple[tuple[str, Callable[[str], object]], ...] = (
            ("find_sensitive", find_sensitive),
            ("redact_text", redact_text),
            ("json_too_deep", _depth),
            ("baseline bytes.count", _count),
        )
        for scan, fn in scans:
            times = [_best_of(fn, make(n)) for n in SIZES]
            data[f"{shape}/{scan}"] = times
            rows.append(
                [
                    shape,
                    scan,
                    *(f"{t * 1000:.2f}" for t in times),
                    f"{times[1] / times[0]:.1f}",
                    f"{times[2] / times[1]:.1f}",
                ]
            )
    old = [_best_of(_OLD_EMAIL.search, "a" * n, repeats=1) for n in (10_000, 20_000, 40_000)]
    data["letters/old e-mail pattern (10, 20, 40 KB)"] = old
    rows.append(
        [
            "letters",
            "old e-mail pattern: 10/20/40 KB",
            *(f"{t * 1000:.2f}" for t in old),
            f"{old[1] / old[0]:.1f}",
            f"{old[2] / old[1]:.1f}",
        ]
    )
    table = print_table(
        "Client-input scans (ms, best of 5): linear when the x10 columns stay near 10",
        ["input", "scan", "10 KB", "100 KB", "1 MB", "x10", "x10 again"],
        rows,
    )
    save("input_scans", data, table)
    return data
