"""Chaos scenarios against a running estate: banking made slow, made to fail, or stopped,
while e-commerce takes checkouts. Each prints what it sent, what failed and how long the
estate took to recover, and each proves that no order was charged twice and no unit of
stock was lost.

Latency and errors come from lift_core's fault-injection switch on banking
(``PUT /internal/faults``, dev/test estates only); stop and start come from the embedded
estate's supervisor (``python -m devtools.estate stop|start``) or from compose.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from e2e_client import Lift, Target, faults, shop_with_buyer
from e2e_fixtures import CHAOS_REPORT

pytestmark = pytest.mark.e2e

# lift_mesh's defaults, as e-commerce runs with them (libs/lift_mesh/src/lift_mesh/config.py).
ATTEMPT_TIMEOUT_S = 2.0
RETRY_BUDGET_RATIO, RETRY_BUDGET_FLOOR_PER_S, RETRY_BUDGET_WINDOW_S = 0.2, 5.0, 10.0


@dataclass
class Report:
    scenario: str
    requests: int = 0
    errors: int = 0  # answers that were neither 201 CONFIRMED nor 202 PAYMENT_PENDING
    pending: int = 0
    recover_seconds: float = 0.0
    notes: str = ""

    def line(self) -> str:
        return (
            f"chaos[{self.scenario}]: {self.requests} checkouts, {self.errors} errors, "
            f"{self.pending} left pending, recovered in {self.recover_seconds:.1f} s. {self.notes}"
        )


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Iterator[Callable[[str], Report]]:
    """Each scenario's report line, printed in the run's summary (``chaos scenarios``), from
    xdist workers too: it travels as a user property of the test's report."""
    made: list[Report] = []

    def make(scenario: str) -> Report:
        made.append(Report(scenario))
        return made[-1]

    yield make
    for r in made:
        request.node.user_properties.append(
            (CHAOS_REPORT, f"[{request.node.callspec.id}] {r.line()}")
        )


def checkout_once(s: dict[str, Any], report: Report) -> tuple[dict[str, Any], float]:
    buyer = s["buyer"]
    buyer.add_to_cart(s["product"], 1)
    started = time.monotonic()
    answer = buyer.checkout(uuid.uuid4().hex)
    elapsed = time.monotonic() - started
    report.requests += 1
    if answer.status_code == 202:
        report.pending += 1
    elif answer.status_code != 201:
        report.errors += 1
    assert answer.status_code in (201, 202), answer.text
    # A pending order holds its unit; the next checkout starts from an empty cart.
    buyer.shop.delete(f"/cart/items/{s['product']}")
    order: dict[str, Any] = answer.json()
    return order, elapsed


def wait_confirmed(s: dict[str, Any], orders: list[dict[str, Any]], timeout: float) -> float:
    """Seconds until every order is CONFIRMED (recovery re-asks banking by the order's key)."""
    started = time.monotonic()
    statuses: set[str] = set()
    while time.monotonic() - started < timeout:
        statuses = {s["buyer"].shop.get(f"/orders/{o['id']}").json()["status"] for o in orders}
        if statuses == {"CONFIRMED"}:
            return time.monotonic() - started
        time.sleep(1)
    raise AssertionError(f"orders still {statuses} after {timeout} s")


def assert_charged_once(s: dict[str, Any], orders: list[dict[str, Any]], funds: int) -> None:
    total = sum(o["totals"]["total"] for o in orders)
    assert s["buyer"].balance(s["account"]) == funds - total
    assert s["teller"].balance(s["merchant"]) == total


def log_lines(target: Target, service: str, tenant: str) -> list[dict[str, Any]]:
    assert target.logs is not None
    lines = []
    for raw in target.logs(service).splitlines():
        if tenant in raw and "{" in raw:
            lines.append(json.loads(raw[raw.index("{") :]))  # compose prefixes "name  | "
    return lines


def breaker_openings(target: Target) -> int:
    assert target.logs is not None
    return sum(
        1
        for line in target.logs("ecommerce").splitlines()
        if "circuit banking" in line and "-> open" in line
    )


def test_banking_latency_trips_the_breaker_and_recovery_confirms_each_order_once(
    target: Target, report: Callable[[str], Report]
) -> None:
    """3 s of latency on every banking request: e-commerce's attempts time out at 2 s,
    checkouts answer 202, the breaker opens and later checkouts fail fast instead of
    waiting; once banking is fast again, recovery confirms every order exactly once."""
    r = report("banking latency 3 s")
    tenant, funds = f"chaos-{uuid.uuid4().hex[:8]}", 100_000
    s = shop_with_buyer(target, tenant, stock=10, funds=funds)
    admin = Lift(target, "platform", "oscar", ["operator"])
    orders, durations = [], []
    opened_before = breaker_openings(target) if target.logs is not None else 0
    with faults(target, admin, "banking", latency_ms=3000):
        for _ in range(4):
            order, elapsed = checkout_once(s, r)
            orders.append(order)
            durations.append(elapsed)
    assert r.errors == 0
    assert r.pending == 4  # banking never answered in time
    assert durations[0] >= ATTEMPT_TIMEOUT_S  # the first one waited for its timeouts
    assert min(durations[2:]) < 1.0, durations  # breaker open: no waiting on banking
    r.recover_seconds = wait_confirmed(s, orders, timeout=120)
    assert_charged_once(s, orders, funds)
    stock = s["admin"].product(s["product"])
    assert (stock["quantity"], stock["reserved"], stock["available"]) == (6, 0, 6)
    r.notes = "checkout seconds: " + ", ".join(f"{d:.2f}" for d in durations)
    if target.logs is not None:
        assert breaker_openings(target) > opened_before, "e-commerce logged no breaker opening"


def test_thirty_percent_banking_errors_stay_within_the_retry_budget_and_charge_once(
    target: Target, report: Callable[[str], Report]
) -> None:
    """30% of banking's answers are injected 503s (banking does nothing for them). Keyed
    charges are retried within the retry budget; every order ends CONFIRMED, paid once."""
    r = report("banking 30% errors")
    tenant, funds, n = f"chaos-{uuid.uuid4().hex[:8]}", 100_000, 12
    s = shop_with_buyer(target, tenant, stock=n, funds=funds)
    admin = Lift(target, "platform", "oscar", ["operator"])
    orders = []
    started = time.monotonic()
    with faults(target, admin, "banking", error_rate=0.3):
        for _ in range(n):
            orders.append(checkout_once(s, r)[0])
    window = time.monotonic() - started
    assert r.errors == 0
    r.recover_seconds = wait_confirmed(s, orders, timeout=120)
    assert_charged_once(s, orders, funds)
    stock = s["admin"].product(s["product"])
    assert (stock["quantity"], stock["reserved"]) == (0, 0)
    if target.logs is not None:
        charges = [
            x
            for x in log_lines(target, "banking", tenant)
            if x.get("logger") == "lift.access"
            and x.get("subject") == "ecommerce"
            and x["http"]["method"] == "POST"
            and x["http"]["route"] == "/api/v1/payments"  # injected 503s included
        ]
        injected = sum(1 for x in charges if x["http"]["status"] == 503)
        created = sum(1 for x in charges if x["http"]["status"] == 201)
        assert injected > 0, "no fault was injected: is LIFT_FAULT_INJECTION_ENABLED on?"
        # An injected 503 is answered before banking acts, so each order's charge must be
        # created exactly once, whether by checkout's retries or by recovery's re-ask.
        assert created == n, (created, n)
        assert {x["http"]["status"] for x in charges} <= {201, 503}
        # The retries lift_mesh spent: at most 20% of requests plus 5/s per 10 s window.
        retries = len(charges) - n
        windows = math.ceil(max(window, RETRY_BUDGET_WINDOW_S) / RETRY_BUDGET_WINDOW_S)
        budget = windows * (RETRY_BUDGET_RATIO * len(charges) + RETRY_BUDGET_FLOOR_PER_S * 10)
        assert retries <= budget, (retries, budget)
        r.notes = (
            f"banking saw {len(charges)} charge attempts: {created} created, "
            f"{injected} injected 503s; {retries} retries within a budget of {budget:.0f}"
        )


def test_banking_stopped_during_checkouts_then_recovery_conserves_money_and_stock(
    target: Target, report: Callable[[str], Report]
) -> None:
    if target.stop is None or target.start is None:
        pytest.skip("this target cannot stop and start a service (a deployed URL)")
    r = report("banking stopped")
    funds = 50_000
    s = shop_with_buyer(target, f"chaos-{uuid.uuid4().hex[:8]}", stock=5, funds=funds)
    target.stop("banking")
    orders = []
    try:
        for _ in range(3):
            orders.append(checkout_once(s, r)[0])
        assert r.pending == 3
        stock = s["admin"].product(s["product"])
        assert (stock["quantity"], stock["reserved"], stock["available"]) == (5, 3, 2)
    finally:
        target.start("banking")
    r.recover_seconds = wait_confirmed(s, orders, timeout=180)
    assert_charged_once(s, orders, funds)
    stock = s["admin"].product(s["product"])
    assert (stock["quantity"], stock["reserved"], stock["available"]) == (2, 0, 2)
