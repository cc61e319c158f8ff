"""Banking through its API on the emulator: money moves once, never overdraws, never leaks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from services.banking.tests.unit.test_reconciliation import order_message

from lift_core.audit import verify_events

from banking.bootstrap import bootstrap
from banking.config import BankingSettings

pytestmark = pytest.mark.integration


async def test_accounts_deposits_withdrawals_and_the_ledger(caller: Any, helpers: Any) -> None:
    alice = caller("alice")
    account = await helpers.open_funded(alice, 10_000)
    out = await alice.post(
        f"/api/v1/accounts/{account}/transactions",
        json={"kind": "withdrawal", "amount": 2_500, "currency": "EUR"},
    )
    assert out.status_code == 201
    assert out.json()["account"]["balance"] == 7_500
    balance = (await alice.get(f"/api/v1/accounts/{account}/balance")).json()
    assert balance == {"account_id": account, "balance": 7_500, "currency": "EUR"}
    ledger = (await alice.get(f"/api/v1/accounts/{account}/transactions?limit=1")).json()
    assert [e["amount"] for e in ledger["items"]] == [-2_500]  # newest first
    rest = (
        await alice.get(f"/api/v1/accounts/{account}/transactions?cursor={ledger['next_cursor']}")
    ).json()
    assert [e["amount"] for e in rest["items"]] == [10_000]
    mine = (await alice.get("/api/v1/accounts")).json()
    assert [a["id"] for a in mine["items"]] == [account]


async def test_transfer_is_double_entry_and_applied_once(caller: Any, helpers: Any) -> None:
    alice, bob = caller("alice"), caller("bob")
    source = await helpers.open_funded(alice, 10_000)
    destination = await helpers.open_funded(bob, 0)
    body = {
        "source_account_id": source,
        "destination_account_id": destination,
        "amount": 4_000,
        "currency": "EUR",
        "reference": "rent",
    }
    k = helpers.key()
    first = await alice.post("/api/v1/transfers", json=body, headers={"Idempotency-Key": k})
    again = await alice.post("/api/v1/transfers", json=body, headers={"Idempotency-Key": k})
    assert first.status_code == 201
    assert again.status_code in (200, 201)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert (await alice.get(f"/api/v1/accounts/{source}/balance")).json()["balance"] == 6_000
    assert (await bob.get(f"/api/v1/accounts/{destination}/balance")).json()["balance"] == 4_000
    fetched = await alice.get(f"/api/v1/transfers/{first.json()['id']}")
    assert fetched.json()["amount"] == 4_000
    assert (
        await caller("mallory").get(f"/api/v1/transfers/{first.json()['id']}")
    ).status_code == 404


async def test_one_customers_key_neither_blocks_nor_reveals_anothers(
    caller: Any, helpers: Any
) -> None:
    """Keys belong to (tenant, caller, route): B reusing A's key is B's own new transfer."""
    alice, bob = caller("alice-k"), caller("bob-k")
    a_source, a_dest = await helpers.open_funded(alice, 1_000), await helpers.open_funded(alice, 0)
    b_source, b_dest = await helpers.open_funded(bob, 1_000), await helpers.open_funded(bob, 0)
    k = helpers.key()

    def body(source: str, destination: str) -> dict[str, Any]:
        return {
            "source_account_id": source,
            "destination_account_id": destination,
            "amount": 100,
            "currency": "EUR",
        }

    a = await alice.post(
        "/api/v1/transfers", json=body(a_source, a_dest), headers={"Idempotency-Key": k}
    )
    b = await bob.post(
        "/api/v1/transfers", json=body(b_source, b_dest), headers={"Idempotency-Key": k}
    )
    assert (a.status_code, b.status_code) == (201, 201), b.text
    assert a.json()["id"] != b.json()["id"]
    assert "idempotent-replayed" not in b.headers
    assert (await bob.get(f"/api/v1/accounts/{b_dest}/balance")).json()["balance"] == 100
    # Nor does the key let B find A's payment-by-key lookups.
    assert (await bob.get("/api/v1/payments", params={"idempotency_key": k})).status_code == 404


async def test_payment_twice_refunds_and_lookup_by_key(caller: Any, helpers: Any) -> None:
    alice, shop = caller("alice"), caller("shop")
    payer = await helpers.open_funded(alice, 50_000)
    merchant = await helpers.open_funded(shop, 0, type_="merchant")
    k = helpers.key()
    body = {
        "payer_account_id": payer,
        "merchant_account_id": merchant,
        "amount": 12_000,
        "currency": "EUR",
        "reference": "order-1",
    }
    paid = await alice.post("/api/v1/payments", json=body, headers={"Idempotency-Key": k})
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "captured"
    again = await alice.post("/api/v1/payments", json=body, headers={"Idempotency-Key": k})
    assert again.json()["id"] == paid.json()["id"]
    found = await alice.get(f"/api/v1/payments?idempotency_key={k}")
    assert found.json()["id"] == paid.json()["id"]
    payment_id = paid.json()["id"]
    r1 = await shop.post(
        f"/api/v1/payments/{payment_id}/refund",
        json={"amount": 5_000},
        headers={"Idempotency-Key": "r1"},
    )
    r1_again = await shop.post(
        f"/api/v1/payments/{payment_id}/refund",
        json={"amount": 5_000},
        headers={"Idempotency-Key": "r1"},
    )
    r2 = await shop.post(
        f"/api/v1/payments/{payment_id}/refund",
        json={"amount": 7_000},
        headers={"Idempotency-Key": "r2"},
    )
    too_much = await shop.post(
        f"/api/v1/payments/{payment_id}/refund",
        json={"amount": 1},
        headers={"Idempotency-Key": "r3"},
    )
    assert (r1.status_code, r1_again.json()["id"], r2.status_code) == (201, r1.json()["id"], 201)
    assert too_much.status_code == 409
    assert too_much.json()["type"] == "urn:lift:problem:refund-exceeds-capture"
    assert (await alice.get(f"/api/v1/accounts/{payer}/balance")).json()["balance"] == 50_000
    assert (await shop.get(f"/api/v1/accounts/{merchant}/balance")).json()["balance"] == 0
    status = (await alice.get(f"/api/v1/payments/{payment_id}")).json()
    assert (status["status"], status["refunded"]) == ("refunded", 12_000)


async def test_fraud_rules_decline_with_reasons_and_move_no_money(
    caller: Any, helpers: Any
) -> None:
    alice, shop = caller("alice"), caller("shop")
    payer = await helpers.open_funded(alice, 4_000_000)
    merchant = await helpers.open_funded(shop, 0, type_="merchant")
    body = {
        "payer_account_id": payer,
        "merchant_account_id": merchant,
        "amount": 2_500_000,
        "currency": "EUR",
        "method": "card",
        "card_token": "tok_abcdefgh12",
    }
    declined = await alice.post("/api/v1/payments", json=body, headers={"Idempotency-Key": "big"})
    assert declined.status_code == 201
    payment = declined.json()
    assert payment["status"] == "declined"
    assert payment["fraud_score"] >= 0.7
    assert set(payment["decline_reasons"]) >= {"very_high_amount", "first_payment_to_payee"}
    assert (await alice.get(f"/api/v1/accounts/{payer}/balance")).json()["balance"] == 4_000_000
    refund = await shop.post(
        f"/api/v1/payments/{payment['id']}/refund",
        json={"amount": 1},
        headers={"Idempotency-Key": "x"},
    )
    assert refund.status_code == 409


async def test_frozen_accounts_refuse_debits_and_only_staff_freeze(
    caller: Any, helpers: Any
) -> None:
    alice, teller = caller("alice"), caller("tina", roles=["teller"])
    account = await helpers.open_funded(alice, 5_000)
    assert (await alice.post(f"/api/v1/accounts/{account}/freeze")).status_code == 403
    assert (await teller.post(f"/api/v1/accounts/{account}/freeze")).json()["status"] == "frozen"
    refused = await alice.post(
        f"/api/v1/accounts/{account}/transactions",
        json={"kind": "withdrawal", "amount": 100, "currency": "EUR"},
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:lift:problem:account-not-active"
    await teller.post(f"/api/v1/accounts/{account}/unfreeze")
    ok = await alice.post(
        f"/api/v1/accounts/{account}/transactions",
        json={"kind": "withdrawal", "amount": 100, "currency": "EUR"},
    )
    assert ok.status_code == 201


async def test_withdrawals_never_overdraw_and_daily_limit_holds(caller: Any, helpers: Any) -> None:
    alice = caller("alice")
    account = await helpers.open_funded(alice, 6_000_000)
    over = await alice.post(
        f"/api/v1/accounts/{account}/transactions",
        json={"kind": "withdrawal", "amount": 6_000_001, "currency": "EUR"},
    )
    assert over.status_code == 409
    first = await alice.post(
        f"/api/v1/accounts/{account}/transactions",
        json={"kind": "withdrawal", "amount": 3_000_000, "currency": "EUR"},
    )
    assert first.status_code == 201
    limited = await alice.post(
        f"/api/v1/accounts/{account}/transactions",
        json={"kind": "withdrawal", "amount": 2_500_000, "currency": "EUR"},
    )
    assert limited.status_code == 409
    assert limited.json()["type"] == "urn:lift:problem:daily-limit-exceeded"


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ({"amount": 0}, 422, "validation-error"),
        ({"amount": -5}, 422, "validation-error"),
        ({"amount": 10.5}, 422, "validation-error"),
        ({"amount": "100"}, 422, "validation-error"),
        ({"currency": "USD"}, 422, "currency-mismatch"),
        ({"currency": "XXX"}, 422, "unknown-currency"),
        ({"currency": "eur"}, 422, "validation-error"),
        ({"destination_account_id": "acc_nope"}, 404, "account-not-found"),
        ({"surprise": 1}, 422, "validation-error"),
    ],
)
async def test_bad_transfer_input_is_a_clear_4xx(
    caller: Any, helpers: Any, body: dict[str, Any], status: int, slug: str
) -> None:
    alice = caller("alice")
    source = await helpers.open_funded(alice, 1_000)
    destination = await helpers.open_funded(alice, 0)
    request = {
        "source_account_id": source,
        "destination_account_id": destination,
        "amount": 100,
        "currency": "EUR",
        **body,
    }
    response = await alice.post(
        "/api/v1/transfers", json=request, headers={"Idempotency-Key": helpers.key()}
    )
    assert response.status_code == status, response.text
    assert response.json()["type"] == f"urn:lift:problem:{slug}"


async def test_missing_key_other_tenant_and_raw_card_data_are_refused(
    caller: Any, helpers: Any, json_logs: list[str]
) -> None:
    alice, shop = caller("alice"), caller("shop")
    payer = await helpers.open_funded(alice, 10_000)
    merchant = await helpers.open_funded(shop, 0, type_="merchant")
    body = {
        "payer_account_id": payer,
        "merchant_account_id": merchant,
        "amount": 100,
        "currency": "EUR",
    }
    no_key = await alice.post("/api/v1/payments", json=body)
    assert (no_key.status_code, no_key.json()["type"]) == (
        400,
        "urn:lift:problem:idempotency-key-required",
    )
    for field, value, slug in (
        ("reference", "card 4111 1111 1111 1111", "sensitive-data"),
        ("card_token", "4111111111111111", "validation-error"),
        ("amount", 4111111111111111, "validation-error"),
    ):
        raw = await alice.post(
            "/api/v1/payments",
            json={**body, field: value},
            headers={"Idempotency-Key": helpers.key()},
        )
        assert raw.status_code == 422
        assert raw.json()["type"] == f"urn:lift:problem:{slug}"
        assert "4111111111111111" not in raw.text.replace(" ", "")
    raw_forms = ("4111111111111111", "4111 1111 1111 1111")
    assert [line for line in json_logs if any(raw in line for raw in raw_forms)] == []
    intruder = caller("eve", tenant="globex", roles=["admin"])
    assert (await intruder.get(f"/api/v1/accounts/{payer}")).status_code == 404
    stolen = await intruder.post("/api/v1/payments", json=body, headers={"Idempotency-Key": "k"})
    assert stolen.status_code == 404
    assert (await caller("mallory").get(f"/api/v1/accounts/{payer}")).status_code == 404
    reused = await alice.post("/api/v1/payments", json=body, headers={"Idempotency-Key": "same"})
    assert reused.status_code == 201
    changed = await alice.post(
        "/api/v1/payments", json={**body, "amount": 101}, headers={"Idempotency-Key": "same"}
    )
    assert changed.status_code == 422


async def test_a_merchant_pulls_payments_only_within_an_active_mandate(
    caller: Any, helpers: Any
) -> None:
    teller = caller("tess", roles=["teller"])
    alice = caller("alice")
    shop = caller("shop-owner")
    payer = await helpers.open_funded(alice, 50_000)
    merchant = await helpers.open_funded(teller, 0, type_="merchant", owner="shop-owner")

    def pull(amount: int) -> dict[str, Any]:
        return {
            "payer_account_id": payer,
            "merchant_account_id": merchant,
            "amount": amount,
            "currency": "EUR",
        }

    refused = await shop.post(
        "/api/v1/payments", json=pull(1_000), headers={"Idempotency-Key": helpers.key()}
    )
    assert refused.status_code == 403, refused.text

    granted = await alice.put(
        f"/api/v1/accounts/{payer}/mandates/{merchant}",
        json={"max_amount": 5_000, "currency": "EUR"},
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["active"] is True

    paid = await shop.post(
        "/api/v1/payments", json=pull(4_000), headers={"Idempotency-Key": helpers.key()}
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "captured"
    over = await shop.post(
        "/api/v1/payments", json=pull(6_000), headers={"Idempotency-Key": helpers.key()}
    )
    assert over.status_code == 403

    # Someone who owns neither side cannot use the mandate.
    mallory = caller("mallory")
    stolen = await mallory.post(
        "/api/v1/payments", json=pull(100), headers={"Idempotency-Key": helpers.key()}
    )
    assert stolen.status_code == 404

    revoked = await alice.delete(f"/api/v1/accounts/{payer}/mandates/{merchant}")
    assert revoked.status_code == 204
    after = await shop.post(
        "/api/v1/payments", json=pull(1_000), headers={"Idempotency-Key": helpers.key()}
    )
    assert after.status_code == 403
    balance = await alice.get(f"/api/v1/accounts/{payer}/balance")
    assert balance.json()["balance"] == 46_000

    # Only the payer's owner grants a mandate.
    forged = await shop.put(
        f"/api/v1/accounts/{payer}/mandates/{merchant}",
        json={"max_amount": 5_000, "currency": "EUR"},
    )
    assert forged.status_code == 404


async def test_a_payee_is_known_after_one_captured_payment_and_not_after_a_declined_one(
    caller: Any, helpers: Any, banking: Any
) -> None:
    """``has_paid`` reads one marker written in the first captured payment's transaction."""
    alice, shop = caller("alice"), caller("shop")
    payer = await helpers.open_funded(alice, 4_000_000)
    merchant = await helpers.open_funded(shop, 0, type_="merchant")
    other = await helpers.open_funded(shop, 0, type_="merchant")
    operations = banking.storage.operations
    tenant = "acme"

    async def pay(to: str, amount: int, method: str = "account") -> dict[str, Any]:
        body = {
            "payer_account_id": payer,
            "merchant_account_id": to,
            "amount": amount,
            "currency": "EUR",
            "method": method,
        }
        if method == "card":
            body["card_token"] = "tok_abcdefgh12"
        answer = await alice.post(
            "/api/v1/payments", json=body, headers={"Idempotency-Key": helpers.key()}
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    assert (await pay(merchant, 2_500_000, "card"))["status"] == "declined"
    assert not operations.has_paid(tenant, payer, merchant)  # a declined payment marks nothing
    assert (await pay(merchant, 100))["status"] == "captured"
    assert operations.has_paid(tenant, payer, merchant)
    assert not operations.has_paid(tenant, payer, other)
    again = await pay(merchant, 2_500_000, "card")  # no longer a first payment to this payee
    assert "first_payment_to_payee" not in again["decline_reasons"]


async def test_concurrent_payments_of_one_payer_all_count_towards_its_velocity(
    caller: Any, helpers: Any, banking: Any
) -> None:
    """The velocity rule reads the payer's recent payments with its account; concurrent
    payments each join that memory (the write is conditional on what was read), none is lost."""
    alice, shop = caller("alice"), caller("shop")
    payer = await helpers.open_funded(alice, 10**8)
    merchant = await helpers.open_funded(shop, 0, type_="merchant")

    async def pay(amount: int) -> dict[str, Any]:
        answer = await caller("alice").post(
            "/api/v1/payments",
            json={
                "payer_account_id": payer,
                "merchant_account_id": merchant,
                "amount": amount,
                "currency": "EUR",
            },
            headers={"Idempotency-Key": helpers.key()},
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    assert (await pay(100))["status"] == "captured"  # the payee is known from now on
    burst = await asyncio.gather(*(pay(600_000) for _ in range(4)))  # high amount: 0.3
    assert [p["status"] for p in burst] == ["captured"] * 4
    sixth = await pay(600_000)  # five payments in the window: + velocity 0.4
    assert (sixth["status"], sixth["decline_reasons"]) == ("declined", ["high_amount", "velocity"])
    remembered = banking.storage.accounts.get("acme", payer).recent_payments
    assert len(remembered) == 5
    balance = (await alice.get(f"/api/v1/accounts/{payer}/balance")).json()["balance"]
    assert balance == 10**8 - 100 - 4 * 600_000


async def test_a_transfer_whose_audit_place_another_instance_took_is_applied_once_at_the_new_head(
    caller: Any, helpers: Any, banking: Any, banking_lift: Any
) -> None:
    """The audit event is one item of the money's transaction: when another instance has
    appended to the tenant's chain since this one last did, the transaction is cancelled
    by the audit item alone and tried again at the new head, moving the money once."""
    alice, bob = caller("alice"), caller("bob")
    source = await helpers.open_funded(alice, 10_000)  # this instance now caches the head
    destination = await helpers.open_funded(bob, 0)
    other = bootstrap(BankingSettings(daily_debit_limit=5_000_000), lift=banking_lift)
    other.audit.record("transfer.create", "transfer/elsewhere", "failure", tenant="acme")
    body = {
        "source_account_id": source,
        "destination_account_id": destination,
        "amount": 4_000,
        "currency": "EUR",
        "reference": "rent",
    }
    answer = await alice.post(
        "/api/v1/transfers", json=body, headers={"Idempotency-Key": helpers.key()}
    )
    assert answer.status_code == 201, answer.text
    assert (await alice.get(f"/api/v1/accounts/{source}/balance")).json()["balance"] == 6_000
    assert (await bob.get(f"/api/v1/accounts/{destination}/balance")).json()["balance"] == 4_000
    entries = await alice.get(f"/api/v1/accounts/{source}/transactions")
    assert [e["amount"] for e in entries.json()["items"]] == [-4_000, 10_000]
    stream = banking.audit.stream(
        "acme", banking.audit.policy.rule("transfer.create").retention_days
    )
    events = banking.audit.store.read(stream)
    assert verify_events(stream, events).ok
    resources = [e.resource for e in events]
    assert resources.count(f"transfer/{answer.json()['id']}") == 1
    assert resources.index("transfer/elsewhere") < resources.index(
        f"transfer/{answer.json()['id']}"
    )


async def test_the_shops_order_events_reconcile_its_payments_on_dynamodb(
    caller: Any, helpers: Any, banking: Any
) -> None:
    """The consumer's conditional write, inbox claim and audit event in one transaction: a
    confirmation, then a cancellation after the refund; a late confirmation changes nothing,
    and the payment's reader sees the order and every discrepancy."""
    alice, shop = caller("alice"), caller("ecommerce")  # the shop's own merchant account
    payer = await helpers.open_funded(alice, 50_000)
    merchant = await helpers.open_funded(shop, 0, type_="merchant")
    body = {"payer_account_id": payer, "merchant_account_id": merchant, "amount": 3_000}
    paid = await alice.post(
        "/api/v1/payments", json={**body, "currency": "EUR"}, headers={"Idempotency-Key": "o1"}
    )
    payment_id = paid.json()["id"]
    assert (await shop.get(f"/api/v1/payments/{payment_id}")).json()["order"] is None
    [consumer] = banking.consumers
    confirmed = order_message(payment_id, "CONFIRMED", total=3_000)
    assert await consumer.handle(confirmed) is True
    assert await consumer.handle(confirmed) is False  # the inbox holds its id
    order = (await shop.get(f"/api/v1/payments/{payment_id}")).json()["order"]
    assert (order["status"], order["reconciled"], order["discrepancies"]) == ("CONFIRMED", True, [])
    refund = await shop.post(
        f"/api/v1/payments/{payment_id}/refund",
        json={"amount": 2_000},
        headers={"Idempotency-Key": "r1"},
    )
    assert refund.status_code == 201, refund.text
    assert await consumer.handle(order_message(payment_id, "CANCELLED", total=3_000)) is True
    assert await consumer.handle(order_message(payment_id, "CONFIRMED", total=3_000)) is False
    order = (await alice.get(f"/api/v1/payments/{payment_id}")).json()["order"]
    assert (order["status"], order["reconciled"]) == ("CANCELLED", False)
    assert order["discrepancies"] == ["the order was cancelled, 1000 of the payment not refunded"]
    stream = banking.audit.stream("acme", banking.audit.policy.rule("payment.x").retention_days)
    events = banking.audit.store.read(stream)
    assert verify_events(stream, events).ok
    reconciled = [(e.outcome, e.actor) for e in events if e.action == "payment.reconcile"]
    assert reconciled == [("success", "banking-orders"), ("failure", "banking-orders")]
