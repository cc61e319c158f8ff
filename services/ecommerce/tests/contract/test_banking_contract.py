"""What e-commerce needs of banking's payment API, recorded as a pact (see tests/contracts.py).

Every interaction is exercised through e-commerce's real payment gateway,
``BankingPayments``, so the pact holds what the checkout saga, recovery, cancellation and
registration actually send and read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pact import Pact, generate, match
from pact.match.matcher import GenericMatcher
from tests.contracts import ExampleTokens, record

from lift_mesh import MeshSettings, ServiceClient

from ecommerce.adapters.banking import BankingPayments
from ecommerce.domain.payments import Charge, PaymentRefused

pytestmark = pytest.mark.integration

CONSUMER, PROVIDER = "ecommerce", "banking"
BEARER = match.regex("Bearer token", regex=r"^Bearer \S+$")
PAYMENT = {
    "id": match.str("pay_1"),
    "status": "captured",
    "amount": 2500,
    "refunded": 0,
}


def charge_request(payer: str, key: str, amount: int) -> dict[str, object]:
    return {
        "payer_account_id": payer,
        "merchant_account_id": "acc_shop",
        "amount": amount,
        "currency": "EUR",
        "reference": f"order {key}",
    }


@pytest.fixture
def pact() -> Pact:
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    (
        pact.upon_receiving("a charge under a mandate")
        .given(
            "a funded payer under a mandate", payer="acc_alice", merchant="acc_shop", balance=10_000
        )
        .with_request("POST", "/api/v1/payments")
        .with_header("Authorization", BEARER)
        .with_header("Idempotency-Key", "order:o-1")
        .with_body(charge_request("acc_alice", "order:o-1", 2500), content_type="application/json")
        .will_respond_with(201)
        .with_body(PAYMENT, content_type="application/json")
    )
    (
        pact.upon_receiving("a charge the payer cannot afford")
        .given("a funded payer under a mandate", payer="acc_poor", merchant="acc_shop", balance=100)
        .with_request("POST", "/api/v1/payments")
        .with_header("Authorization", BEARER)
        .with_header("Idempotency-Key", "order:o-2")
        .with_body(charge_request("acc_poor", "order:o-2", 2500), content_type="application/json")
        .will_respond_with(409)
        .with_body(
            {
                "type": match.regex(
                    "urn:lift:problem:insufficient-funds", regex=r".*:insufficient-funds$"
                )
            },
            content_type="application/problem+json",
        )
    )
    (
        pact.upon_receiving("a look-up of the payment made with a key")
        .given(
            "a payment was captured with a key",
            payer="acc_bob",
            merchant="acc_shop",
            key="order:o-3",
        )
        .with_request("GET", "/api/v1/payments")
        .with_query_parameter("idempotency_key", "order:o-3")
        .with_header("Authorization", BEARER)
        .will_respond_with(200)
        .with_body(PAYMENT, content_type="application/json")
    )
    (
        pact.upon_receiving("a look-up of a key no payment was made with")
        .given("no payment was made with a key", key="order:o-4")
        .with_request("GET", "/api/v1/payments")
        .with_query_parameter("idempotency_key", "order:o-4")
        .with_header("Authorization", BEARER)
        .will_respond_with(404)
    )
    (
        pact.upon_receiving("a refund of a captured payment")
        .given(
            "a payment was captured with a key",
            payer="acc_carol",
            merchant="acc_shop",
            key="order:o-5",
        )
        .with_request(
            "POST",
            # Banking names the payment; its provider state hands the id to the verifier.
            GenericMatcher(
                "type",
                value="/api/v1/payments/pay_1/refund",
                generator=generate.provider_state("/api/v1/payments/${paymentId}/refund"),
            ),
        )
        .with_header("Authorization", BEARER)
        .with_header("Idempotency-Key", "order-refund:o-5")
        .with_body({"amount": 2500, "reason": "order cancelled"}, content_type="application/json")
        .will_respond_with(201)
        .with_body({"id": match.str("ref_1")}, content_type="application/json")
    )
    (
        pact.upon_receiving("a customer's check that they hold an account")
        .given("the caller holds an account", account="acc_mine")
        .with_request("GET", "/api/v1/accounts/acc_mine/balance")
        .with_header("Authorization", BEARER)
        .will_respond_with(200)
    )
    (
        pact.upon_receiving("a customer's check of an account someone else holds")
        .given("someone else holds an account", account="acc_theirs")
        .with_request("GET", "/api/v1/accounts/acc_theirs/balance")
        .with_header("Authorization", BEARER)
        .will_respond_with(404)
    )
    return pact


async def test_ecommerce_records_what_it_needs_of_banking(pact: Pact, tmp_path: Path) -> None:
    with pact.serve(raises=True) as server:
        client = ServiceClient(
            "banking",
            settings=MeshSettings(services={"banking": [str(server.url)]}, max_attempts=1),
            credentials=lambda: "token",
        )
        payments = BankingPayments(client, ExampleTokens())

        captured = await payments.charge(
            Charge("acme", "order:o-1", "acc_alice", "acc_shop", 2500, "EUR", "order order:o-1")
        )
        assert (captured.captured, captured.amount) == (True, 2500)
        with pytest.raises(PaymentRefused) as refused:
            await payments.charge(
                Charge("acme", "order:o-2", "acc_poor", "acc_shop", 2500, "EUR", "order order:o-2")
            )
        assert refused.value.reason == "insufficient-funds"
        found = await payments.find("acme", "order:o-3")
        assert found is not None
        assert found.status == "captured"
        assert await payments.find("acme", "order:o-4") is None
        refund = await payments.refund(
            "acme", "pay_1", amount=2500, key="order-refund:o-5", reason="order cancelled"
        )
        assert refund == "ref_1"
        assert await payments.owns_account("acc_mine") is True
        assert await payments.owns_account("acc_theirs") is False
        await client.aclose()
    record(pact, tmp_path)
