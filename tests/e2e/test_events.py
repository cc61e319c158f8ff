"""Events between services on a running estate: banking's payment events settle
e-commerce's orders when the synchronous answer is lost, and how long events take.

The relay and the consumers run inside the services (``LIFT_EVENTS_LOCAL``), reading the
emulator's DynamoDB stream and SQS queues; each line this prints lands in the run's
summary (``chaos scenarios``).
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from e2e_client import Lift, Target, faults, shop_with_buyer
from e2e_fixtures import CHAOS_REPORT

pytestmark = pytest.mark.e2e

# What the estates set (devtools/estate.py, docker-compose.yml): recovery looks at an order
# once it is this old, on this period.
RECOVERY_MIN_AGE_S = RECOVERY_INTERVAL_S = 3.0
BANKING_LATENCY_S = 3.0  # longer than e-commerce's attempt timeout (2 s): the answer is lost


def _order(buyer: Lift, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = buyer.shop.get(f"/orders/{order_id}").raise_for_status().json()
    return order


def test_a_checkout_whose_payment_answer_is_lost_is_confirmed_by_the_payment_event(
    target: Target, request: pytest.FixtureRequest
) -> None:
    tenant, funds = f"events-{uuid.uuid4().hex[:8]}", 50_000
    s = shop_with_buyer(target, tenant, stock=5, funds=funds)
    buyer, admin = s["buyer"], Lift(target, "platform", "oscar", ["operator"])
    buyer.add_to_cart(s["product"], 1)
    started = time.monotonic()
    with faults(target, admin, "banking", latency_ms=int(BANKING_LATENCY_S * 1000)):
        answer = buyer.checkout(uuid.uuid4().hex)
        lost = time.monotonic() - started
    assert answer.status_code == 202, answer.text  # banking took the payment; no answer
    order = answer.json()
    while (status := _order(buyer, order["id"])["status"]) == "PAYMENT_PENDING":
        assert time.monotonic() - started < 30, "the payment event never confirmed the order"
        time.sleep(0.05)
    assert status == "CONFIRMED"
    stored = _order(buyer, order["id"])
    # When the order was confirmed, by its own clock: from its creation to its last change.
    confirmed = (
        datetime.fromisoformat(stored["updated_at"]) - datetime.fromisoformat(stored["created_at"])
    ).total_seconds()
    auditor = Lift(target, tenant, "audrey", ["auditor"])
    trail = auditor.shop.get(
        "/compliance/audit-trail", params={"resource": f"order/{order['id']}"}
    ).raise_for_status()
    confirms = [e for e in trail.json()["items"] if e["action"] == "order.confirm"]
    assert [e["actor"] for e in confirms] == ["ecommerce-payments"]  # the event, not recovery
    assert confirmed < RECOVERY_MIN_AGE_S + BANKING_LATENCY_S
    assert buyer.balance(s["account"]) == funds - order["totals"]["total"]  # charged once
    # Recovery takes an order only once it is RECOVERY_MIN_AGE_S old, then asks banking,
    # which answered nothing in less than BANKING_LATENCY_S while the fault was on.
    earliest_recovery = RECOVERY_MIN_AGE_S + BANKING_LATENCY_S
    request.node.user_properties.append(
        (
            CHAOS_REPORT,
            f"[{request.node.callspec.id}] events: payment answer lost after {lost:.1f} s; "
            f"order CONFIRMED by banking's payment.captured {confirmed:.1f} s after it was "
            f"placed "
            f"(recovery: not before {earliest_recovery:.1f} s, then every "
            f"{RECOVERY_INTERVAL_S:.0f} s)",
        )
    )


def test_event_latency_from_state_change_to_consumer(
    target: Target, request: pytest.FixtureRequest
) -> None:
    """Each checkout's ``payment.captured`` reaches e-commerce's and healthcare's consumers;
    their log lines tell how long after banking's transaction each was handled."""
    if target.logs is None:
        pytest.skip("this target's logs cannot be read")
    tenant, n = f"events-{uuid.uuid4().hex[:8]}", 10
    s = shop_with_buyer(target, tenant, stock=n, funds=100_000)
    for _ in range(n):
        s["buyer"].add_to_cart(s["product"], 1)
        assert s["buyer"].checkout(uuid.uuid4().hex).status_code == 201
    latencies: list[float] = []
    deadline = time.monotonic() + 30
    while len(latencies) < n and time.monotonic() < deadline:
        time.sleep(0.5)
        latencies = [
            line["event"]["latency_ms"]
            for raw in target.logs("ecommerce").splitlines()
            if tenant in raw and '"event"' in raw
            for line in [json.loads(raw[raw.index("{") :])]
            if line.get("event", {}).get("type") == "payment.captured"
        ]
    assert len(latencies) >= n, f"{len(latencies)} of {n} payment events reached e-commerce"
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    request.node.user_properties.append(
        (
            CHAOS_REPORT,
            f"[{request.node.callspec.id}] events: {len(latencies)} payment.captured, banking's "
            f"transaction -> e-commerce's consumer: p50 {statistics.median(latencies):.0f} ms, "
            f"p99 {p99:.0f} ms",
        )
    )


def test_events_wait_in_the_queue_while_their_consumer_is_stopped(
    target: Target, request: pytest.FixtureRequest
) -> None:
    """E-commerce (its consumer with it) is stopped when banking takes a pending order's
    payment: the payment event waits in e-commerce's queue, and once e-commerce is back the
    order is CONFIRMED and charged exactly once."""
    if target.stop is None or target.start is None:
        pytest.skip("this target cannot stop and start a service (a deployed URL)")
    tenant, funds = f"events-{uuid.uuid4().hex[:8]}", 50_000
    s = shop_with_buyer(target, tenant, stock=5, funds=funds)
    buyer = s["buyer"]
    buyer.add_to_cart(s["product"], 1)
    target.stop("banking")
    try:
        answer = buyer.checkout(uuid.uuid4().hex)  # no banking: the order waits, stock held
    finally:
        target.start("banking")
    assert answer.status_code == 202, answer.text
    order = answer.json()
    target.stop("ecommerce")
    try:
        # Banking takes the payment e-commerce's recovery would ask for: the same caller,
        # key and request, so the recovery's own charge later lands on it, not beside it.
        shop = Lift(target, tenant, "ecommerce", ["service"])
        paid = shop.banking.post(
            "/payments",
            json={
                "payer_account_id": s["account"],
                "merchant_account_id": s["merchant"],
                "amount": order["totals"]["total"],
                "currency": "EUR",
                "reference": f"order {order['id']}",
            },
            headers={"Idempotency-Key": f"order:{order['id']}"},
        )
        assert paid.status_code == 201, paid.text
        stopped_for = time.monotonic()
    finally:
        target.start("ecommerce")
    back = time.monotonic()
    status = "PAYMENT_PENDING"
    while status == "PAYMENT_PENDING":
        assert time.monotonic() - back < 60, "the order stayed pending after e-commerce came back"
        # A container that was started may not listen yet.
        with contextlib.suppress(httpx.TransportError):
            status = _order(buyer, order["id"])["status"]
        time.sleep(0.1)
    confirmed_after = time.monotonic() - back
    assert status == "CONFIRMED"
    assert buyer.balance(s["account"]) == funds - order["totals"]["total"]  # charged once
    auditor = Lift(target, tenant, "audrey", ["auditor"])
    trail = auditor.shop.get(
        "/compliance/audit-trail", params={"resource": f"order/{order['id']}"}
    ).raise_for_status()
    (confirm,) = [e for e in trail.json()["items"] if e["action"] == "order.confirm"]
    assert confirm["actor"] in ("ecommerce-payments", "ecommerce-recovery")
    request.node.user_properties.append(
        (
            CHAOS_REPORT,
            f"[{request.node.callspec.id}] events: e-commerce was down while banking took "
            f"the payment (restarted {back - stopped_for:.1f} s later); the order was "
            f"CONFIRMED {confirmed_after:.1f} s after it was started again, by "
            f"{confirm['actor']}, "
            f"charged once",
        )
    )


def test_banking_reconciles_each_payment_with_the_shops_order_events(
    target: Target, request: pytest.FixtureRequest
) -> None:
    """E-commerce's ``order.confirmed`` and ``order.cancelled`` reach banking's consumer,
    which records on the payment what the shop reported and whether the two agree."""
    tenant = f"events-{uuid.uuid4().hex[:8]}"
    s = shop_with_buyer(target, tenant, stock=5, funds=50_000)
    buyer = s["buyer"]
    buyer.add_to_cart(s["product"], 2)
    started = time.monotonic()
    answer = buyer.checkout(uuid.uuid4().hex)
    assert answer.status_code == 201, answer.text
    order = answer.json()

    def reported(status: str) -> dict[str, Any]:
        while True:
            payment = buyer.banking.get(f"/payments/{order['payment_id']}").raise_for_status()
            seen = payment.json()["order"]
            if seen is not None and seen["status"] == status:
                return dict(seen)
            assert time.monotonic() - started < 30, f"banking never saw the order {status}"
            time.sleep(0.05)

    confirmed = reported("CONFIRMED")
    took = time.monotonic() - started
    assert (confirmed["order_id"], confirmed["reconciled"]) == (order["id"], True)
    cancel = buyer.shop.post(f"/orders/{order['id']}/cancel")
    assert cancel.status_code == 200, cancel.text
    cancelled = reported("CANCELLED")
    assert (cancelled["reconciled"], cancelled["discrepancies"]) == (True, [])
    request.node.user_properties.append(
        (
            CHAOS_REPORT,
            f"[{request.node.callspec.id}] events: banking reconciled the payment with "
            f"order.confirmed {took:.1f} s after the checkout, then with order.cancelled",
        )
    )


def test_events_wait_in_the_outbox_while_the_relay_is_held(
    target: Target, request: pytest.FixtureRequest
) -> None:
    """E-commerce's relay is held (the chaos switch's ``events_paused``) while orders are
    confirmed: their ``order.confirmed`` events wait in its outbox and none reaches banking;
    once the relay runs again, every payment is reconciled, each exactly once."""
    tenant, n = f"events-{uuid.uuid4().hex[:8]}", 4
    s = shop_with_buyer(target, tenant, stock=n, funds=50_000)
    buyer, operator = s["buyer"], Lift(target, "platform", "oscar", ["operator"])
    auditor = Lift(target, tenant, "audrey", ["auditor"])

    def reports() -> list[Any]:
        return [
            buyer.banking.get(f"/payments/{p}").raise_for_status().json()["order"] for p in payments
        ]

    payments: list[str] = []
    with faults(target, operator, "ecommerce", events_paused=True):
        for _ in range(n):
            buyer.add_to_cart(s["product"], 1)
            answer = buyer.checkout(uuid.uuid4().hex)
            assert answer.status_code == 201, answer.text  # confirmed by the call's answer
            payments.append(answer.json()["payment_id"])
        time.sleep(2.0)  # ten relay periods: nothing may have left the outbox
        assert reports() == [None] * n, "an event left the outbox while the relay was held"
        held = time.monotonic()
    seen = reports()
    while None in seen:
        assert time.monotonic() - held < 30, f"{seen.count(None)} of {n} events never arrived"
        time.sleep(0.1)
        seen = reports()
    delivered = time.monotonic() - held
    assert all(r["status"] == "CONFIRMED" and r["reconciled"] for r in seen)
    for payment_id in payments:
        trail = auditor.banking.get(
            "/compliance/audit-trail", params={"resource": f"payment/{payment_id}"}
        ).raise_for_status()
        reconciled = [e for e in trail.json()["items"] if e["action"] == "payment.reconcile"]
        assert len(reconciled) == 1, f"{payment_id} was reconciled {len(reconciled)} times"
    request.node.user_properties.append(
        (
            CHAOS_REPORT,
            f"[{request.node.callspec.id}] events: e-commerce's relay held while {n} orders "
            f"were confirmed (no event left the outbox); released, all {n} payments were "
            f"reconciled {delivered:.1f} s later, each once",
        )
    )
