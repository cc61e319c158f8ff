"""``make bench``: run every benchmark and print each figure beside its baseline."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bench import (
    audit_protection,
    banking_endpoints,
    cold_start,
    ecommerce_endpoints,
    emulator_transactions,
    healthcare_records,
    input_scans,
    lambda_packages,
    lift_core_overhead,
    mesh_overhead,
    round_trips,
)

SUITES: dict[str, Callable[[], dict[str, Any]]] = {
    "lift_core_overhead": lift_core_overhead.run,
    "cold_start": cold_start.run,
    "mesh_overhead": mesh_overhead.run,
    "audit_protection": audit_protection.run,
    "banking_endpoints": banking_endpoints.run,
    "ecommerce_endpoints": ecommerce_endpoints.run,
    "healthcare_records": healthcare_records.run,
    "lambda_packages": lambda_packages.run,
    "input_scans": input_scans.run,
    "round_trips": round_trips.run,
    "emulator_transactions": emulator_transactions.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suites", nargs="*", choices=[*SUITES, []], help="default: all")
    args = parser.parse_args()
    for name in args.suites or SUITES:
        SUITES[name]()


if __name__ == "__main__":
    main()
