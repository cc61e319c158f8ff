"""Journeys across the estate, the same against every target."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from e2e_client import Lift, Target, shop_with_buyer

pytestmark = pytest.mark.e2e


def _tenant() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_banking_journey_moves_money_once_and_the_audit_trail_verifies(target: Target) -> None:
    tenant = _tenant()
    teller = Lift(target, tenant, "tina", ["teller"])
    alice = Lift(target, tenant, "alice", ["customer"])
    auditor = Lift(target, tenant, "audrey", ["auditor"])
    checking = teller.open_account(owner="alice")
    savings = teller.open_account("savings", owner="alice")
    shop = teller.open_account("merchant", owner="shop")
    teller.deposit(checking, 100_000)

    assert alice.transfer(checking, savings, 25_000).status_code == 201
    first = alice.pay(checking, shop, 30_000, key="order-42")
    again = alice.pay(checking, shop, 30_000, key="order-42")
    assert first.status_code == 201
    assert again.json()["id"] == first.json()["id"]  # submitted twice, charged once
    assert alice.balance(checking) == 45_000

    payment_id = first.json()["id"]
    shop_owner = Lift(target, tenant, "shop", ["customer"])
    assert shop_owner.refund(payment_id, 10_000, key="refund-1").status_code == 201
    assert shop_owner.refund(payment_id, 25_000, key="refund-2").status_code == 409
    assert alice.balance(checking) == 55_000
    verification = auditor.audit_verify()
    assert verification["ok"] is True
    assert verification["streams"][0]["head_seq"] >= 6


def test_tenants_are_isolated(target: Target) -> None:
    acme, globex = _tenant(), _tenant()
    alice = Lift(target, acme, "alice", ["customer"])
    account = alice.open_account()
    intruder = Lift(target, globex, "mallory", ["admin", "teller"])
    assert intruder.banking.get(f"/accounts/{account}").status_code == 404
    stolen = intruder.transfer(account, intruder.open_account(), 1)
    assert stolen.status_code == 404
    spoofed = alice.banking.get(f"/accounts/{account}", headers={"X-Tenant-ID": globex})
    assert spoofed.status_code == 403

    shop_admin = Lift(target, acme, "ada", ["admin"])
    shop_admin.configure_store(account)
    product = shop_admin.add_product("ISO-1", price=100, quantity=1)
    assert intruder.shop.get(f"/products/{product}").status_code == 404
    assert intruder.shop.post("/cart/items", json={"product_id": product}).status_code == 404
    assert intruder.shop.get("/store").status_code == 409  # globex has no store of its own

    clinic_admin = Lift(target, acme, "ada", ["admin"])
    patient = (
        clinic_admin.care.post(
            "/patients",
            json={"mrn": "MRN-ISO1", "name": "Iso Patient", "date_of_birth": "1980-01-01"},
        )
        .raise_for_status()
        .json()["id"]
    )
    assert (
        intruder.care.get(f"/patients/{patient}", params={"purpose": "operations"}).status_code
        == 404
    )


def test_checkout_charges_once_in_banking_and_a_decline_releases_the_stock(
    target: Target,
) -> None:
    tenant = _tenant()
    teller = Lift(target, tenant, "tina", ["teller"])
    admin = Lift(target, tenant, "ada", ["admin"])
    merchant = teller.open_account("merchant", owner="ecommerce")
    admin.configure_store(merchant)
    lamp = admin.add_product("LAMP-E2E", price=4_000, quantity=3)

    buyer = Lift(target, tenant, "bella", ["customer"])
    account = buyer.open_account()
    buyer.deposit(account, 20_000)
    buyer.grant_mandate(account, merchant, 50_000)
    buyer.register(account)
    buyer.add_to_cart(lamp, 2)
    first = buyer.checkout("order-1")
    again = buyer.checkout("order-1")
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["status"] == "CONFIRMED"
    assert again.json()["id"] == order["id"]
    total = order["totals"]["total"]  # 80.00 + 16.00 tax + 5.00 shipping
    assert total == 10_100
    assert buyer.balance(account) == 20_000 - total  # charged exactly once
    assert teller.balance(merchant) == total
    payment = buyer.banking.get(f"/payments/{order['payment_id']}").json()
    assert (payment["amount"], payment["status"]) == (total, "captured")

    broke = Lift(target, tenant, "brett", ["customer"])
    empty = broke.open_account()
    broke.grant_mandate(empty, merchant, 50_000)
    broke.register(empty)
    broke.add_to_cart(lamp, 1)
    declined = broke.checkout("order-2")
    assert declined.json()["status"] == "PAYMENT_DECLINED", declined.text
    stock = admin.product(lamp)
    assert (stock["quantity"], stock["reserved"], stock["available"]) == (1, 0, 1)


def test_healthcare_consent_records_break_glass_and_an_invoice_paid_through_banking(
    target: Target,
) -> None:
    tenant = _tenant()
    teller = Lift(target, tenant, "tina", ["teller"])
    admin = Lift(target, tenant, "ada", ["admin"])
    clinic_account = teller.open_account("merchant", owner="healthcare")
    admin.care.put(
        "/clinic", json={"merchant_account_id": clinic_account, "currency": "EUR"}
    ).raise_for_status()
    patient_bank = Lift(target, tenant, "pat", ["customer"])
    account = patient_bank.open_account()
    patient_bank.deposit(account, 30_000)
    patient_bank.grant_mandate(account, clinic_account, 10_000)

    def provider(subject: str) -> str:
        body = {
            "npi": "1245319599" if subject == "dr-a" else "1234567893",
            "name": subject,
            "kind": "clinician",
            "subject": subject,
        }
        return str(admin.care.post("/providers", json=body).raise_for_status().json()["id"])

    treating, er_doctor = provider("dr-a"), provider("dr-b")
    patient = (
        admin.care.post(
            "/patients",
            json={
                "mrn": "MRN-E2E1",
                "name": "E2E Patient",
                "date_of_birth": "1970-01-01",
                "subject": "pat",
            },
        )
        .raise_for_status()
        .json()["id"]
    )
    # Only the patient links the account invoices are charged to, one they hold.
    Lift(target, tenant, "pat", ["patient"]).care.put(
        f"/patients/{patient}/bank-account", json={"bank_account_id": account}
    ).raise_for_status()
    encounter = (
        admin.care.post("/encounters", json={"patient_id": patient, "provider_id": treating})
        .raise_for_status()
        .json()["id"]
    )
    dr_a, dr_b = (
        Lift(target, tenant, "dr-a", ["clinician"]),
        Lift(target, tenant, "dr-b", ["clinician"]),
    )
    record = (
        dr_a.care.post(
            "/records", json={"patient_id": patient, "kind": "note", "content": "E2E note"}
        )
        .raise_for_status()
        .json()["id"]
    )
    treatment = {"purpose": "treatment"}
    assert dr_a.care.get(f"/records/{record}", params=treatment).status_code == 200

    me = Lift(target, tenant, "pat", ["patient"])
    me.care.put(f"/patients/{patient}/consent", json={"granted": False}).raise_for_status()
    assert dr_a.care.get(f"/records/{record}", params=treatment).status_code == 403
    assert dr_b.care.get(f"/records/{record}", params=treatment).status_code == 403
    dr_b.care.post(
        f"/patients/{patient}/break-glass", json={"reason": "e2e emergency department"}
    ).raise_for_status()
    assert dr_b.care.get(f"/records/{record}", params=treatment).status_code == 200

    billing = Lift(target, tenant, "bill", ["billing"])
    invoice = billing.care.post(f"/encounters/{encounter}/invoice", json={"amount": 4_500})
    assert invoice.status_code == 201, invoice.text
    assert invoice.json()["status"] == "PAID"
    assert patient_bank.balance(account) == 25_500
    assert teller.balance(clinic_account) == 4_500

    disclosures = me.care.get(f"/patients/{patient}/disclosures").raise_for_status().json()["items"]
    assert {(d["accessor"], d["outcome"], d["emergency"]) for d in disclosures} == {
        ("dr-a", "success", False),
        ("dr-a", "denied", False),
        ("dr-b", "denied", False),
        ("dr-b", "success", True),
    }
    assert treating != er_doctor


def test_one_trace_id_spans_e_commerce_and_banking_for_a_checkout(target: Target) -> None:
    """The checkout's trace id (found in e-commerce's access line by its request id; the
    caller's own tracing may have chosen it) is the one banking logs for the payment."""
    if target.logs is None:
        pytest.skip("this target gives no access to service logs")
    s = shop_with_buyer(target, _tenant(), stock=5, funds=10_000)
    s["buyer"].add_to_cart(s["product"], 1)
    checkout = s["buyer"].checkout(uuid.uuid4().hex)
    assert checkout.json()["status"] == "CONFIRMED", checkout.text
    request_id = checkout.headers["x-request-id"]
    payment_id = checkout.json()["payment_id"]

    def lines(service: str, needle: str) -> list[dict[str, Any]]:
        return [
            json.loads(raw[raw.index("{") :])  # compose prefixes "<service>-1  | "
            for raw in target.logs(service).splitlines()  # type: ignore[misc]
            if needle in raw and "{" in raw
        ]

    # Access lines are written once the response has gone out: give the logs a moment.
    deadline = time.monotonic() + 15
    while True:
        shop = [x for x in lines("ecommerce", request_id) if x.get("logger") == "lift.access"]
        trace_id = shop[0]["trace_id"] if shop else ""
        bank = [
            x
            for x in lines("banking", trace_id or "no-trace-yet")
            if x.get("http", {}).get("route") == "/api/v1/payments"
        ]
        if bank or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert shop, "no access line for the checkout"
    assert len(trace_id) == 32
    assert trace_id != "0" * 32
    assert bank, f"banking logged no payment under trace {trace_id}"
    # The same trace carried the payment's own request id and e-commerce's caller ids.
    assert {x["trace_id"] for x in bank} == {trace_id}
    assert payment_id
    assert all(x["correlation_id"] == shop[0]["correlation_id"] for x in bank)
