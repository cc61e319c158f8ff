"""Every banking route answers bad input with a clear 4xx problem, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

GHOST = "acc_doesnotexist"


async def test_every_route_refuses_bad_input_with_a_problem(caller: Any, helpers: Any) -> None:
    alice, shop = caller("alice"), caller("shop")
    teller = caller("tina", roles=["teller"])
    stranger = caller("eve", tenant="globex", roles=["teller"])
    account = await helpers.open_funded(alice, 10_000)
    merchant = await helpers.open_funded(shop, 0, type_="merchant")
    payment = (
        await alice.post(
            "/api/v1/payments",
            json={
                "payer_account_id": account,
                "merchant_account_id": merchant,
                "amount": 500,
                "currency": "EUR",
            },
            headers={"Idempotency-Key": "p-1"},
        )
    ).json()["id"]
    key = {"Idempotency-Key": "k-1"}
    cases: list[tuple[Any, str, str, Any, dict[str, str], int, str]] = [
        (
            alice,
            "POST",
            "/api/v1/accounts",
            {"type": "loan", "currency": "EUR"},
            {},
            422,
            "validation-error",
        ),
        (
            alice,
            "POST",
            "/api/v1/accounts",
            {"type": "checking", "currency": "ZZZ"},
            {},
            422,
            "unknown-currency",
        ),
        (
            alice,
            "POST",
            "/api/v1/accounts",
            {"type": "checking", "currency": "EUR", "owner": "bob"},
            {},
            403,
            "not-permitted",
        ),
        (alice, "GET", "/api/v1/accounts?limit=0", None, {}, 422, "validation-error"),
        (alice, "GET", f"/api/v1/accounts/{GHOST}", None, {}, 404, "account-not-found"),
        (stranger, "GET", f"/api/v1/accounts/{account}", None, {}, 404, "account-not-found"),
        (
            stranger,
            "GET",
            f"/api/v1/accounts/{account}/balance",
            None,
            {},
            404,
            "account-not-found",
        ),
        (teller, "POST", f"/api/v1/accounts/{GHOST}/freeze", None, {}, 404, "account-not-found"),
        (alice, "POST", f"/api/v1/accounts/{account}/unfreeze", None, {}, 403, "not-permitted"),
        (
            alice,
            "POST",
            f"/api/v1/accounts/{account}/transactions",
            {"kind": "deposit", "amount": 0, "currency": "EUR"},
            {},
            422,
            "validation-error",
        ),
        (
            alice,
            "POST",
            f"/api/v1/accounts/{account}/transactions",
            {"kind": "deposit", "amount": 1.5, "currency": "EUR"},
            {},
            422,
            "validation-error",
        ),
        (
            alice,
            "POST",
            f"/api/v1/accounts/{account}/transactions",
            {"kind": "deposit", "amount": 5, "currency": "GBP"},
            {},
            422,
            "currency-mismatch",
        ),
        (
            alice,
            "POST",
            f"/api/v1/accounts/{account}/transactions",
            {"kind": "steal", "amount": 5, "currency": "EUR"},
            {},
            422,
            "validation-error",
        ),
        (
            stranger,
            "POST",
            f"/api/v1/accounts/{account}/transactions",
            {"kind": "deposit", "amount": 5, "currency": "EUR"},
            {},
            404,
            "account-not-found",
        ),
        (
            alice,
            "GET",
            f"/api/v1/accounts/{GHOST}/transactions",
            None,
            {},
            404,
            "account-not-found",
        ),
        (
            alice,
            "POST",
            "/api/v1/transfers",
            {
                "source_account_id": account,
                "destination_account_id": merchant,
                "amount": 5,
                "currency": "EUR",
            },
            {},
            400,
            "idempotency-key-required",
        ),
        (
            alice,
            "POST",
            "/api/v1/transfers",
            {
                "source_account_id": account,
                "destination_account_id": account,
                "amount": 5,
                "currency": "EUR",
            },
            key,
            422,
            "same-account",
        ),
        (alice, "GET", "/api/v1/transfers/trf_nope", None, {}, 404, "transfer-not-found"),
        (
            alice,
            "POST",
            "/api/v1/payments",
            {
                "payer_account_id": account,
                "merchant_account_id": account,
                "amount": 5,
                "currency": "EUR",
            },
            {"Idempotency-Key": "k-2"},
            404,
            "account-not-found",
        ),
        (
            shop,
            "POST",
            "/api/v1/payments",
            {
                "payer_account_id": merchant,
                "merchant_account_id": merchant,
                "amount": 5,
                "currency": "EUR",
            },
            {"Idempotency-Key": "k-self"},
            422,
            "same-account",
        ),
        (
            alice,
            "POST",
            "/api/v1/payments",
            {
                "payer_account_id": account,
                "merchant_account_id": merchant,
                "amount": 5,
                "currency": "EUR",
                "card_token": "visa",
            },
            {"Idempotency-Key": "k-3"},
            422,
            "validation-error",
        ),
        (alice, "GET", "/api/v1/payments/pay_nope", None, {}, 404, "payment-not-found"),
        (alice, "GET", "/api/v1/payments", None, {}, 422, "validation-error"),
        (
            alice,
            "GET",
            "/api/v1/payments?idempotency_key=never-used",
            None,
            {},
            404,
            "payment-not-found",
        ),
        (
            alice,
            "POST",
            f"/api/v1/payments/{payment}/refund",
            {"amount": 1},
            {"Idempotency-Key": "r"},
            403,
            "not-permitted",
        ),
        (
            shop,
            "POST",
            f"/api/v1/payments/{payment}/refund",
            {"amount": -1},
            {"Idempotency-Key": "r"},
            422,
            "validation-error",
        ),
        (
            shop,
            "POST",
            f"/api/v1/payments/{payment}/refund",
            {"amount": 501},
            {"Idempotency-Key": "r2"},
            409,
            "refund-exceeds-capture",
        ),
        (
            shop,
            "POST",
            f"/api/v1/payments/{payment}/refund",
            {"amount": 1},
            {},
            400,
            "idempotency-key-required",
        ),
        (
            shop,
            "POST",
            "/api/v1/payments/pay_nope/refund",
            {"amount": 1},
            {"Idempotency-Key": "r3"},
            404,
            "payment-not-found",
        ),
        (alice, "GET", "/api/v1/compliance/audit-trail", None, {}, 403, "forbidden"),
        (
            alice,
            "PUT",
            f"/api/v1/accounts/{account}/mandates/{merchant}",
            {"max_amount": 0, "currency": "EUR"},
            {},
            422,
            "validation-error",
        ),
        (
            alice,
            "PUT",
            f"/api/v1/accounts/{account}/mandates/{merchant}",
            {"max_amount": 100, "currency": "USD"},
            {},
            422,
            "currency-mismatch",
        ),
        (
            alice,
            "PUT",
            f"/api/v1/accounts/{account}/mandates/{account}",
            {"max_amount": 100, "currency": "EUR"},
            {},
            404,
            "account-not-found",
        ),
        (
            shop,
            "DELETE",
            f"/api/v1/accounts/{account}/mandates/{merchant}",
            None,
            {},
            404,
            "account-not-found",
        ),
    ]
    for client, method, path, body, headers, status, slug in cases:
        response = await client.request(method, path, json=body, headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (
            status,
            "application/problem+json",
        ), (method, path, response.text)
        assert response.json()["type"] == f"urn:lift:problem:{slug}", (method, path, response.text)
