"""The two consumers' payment gateways on banking (e-commerce's and healthcare's own views)
behave alike where the saga depends on it: what banking refuses is ``PaymentRefused``,
anything that leaves the outcome open is ``PaymentUnknown``, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from lift_mesh import ClientCredentialsTokens, MeshSettings, ServiceClient, ServiceTokens

import ecommerce.adapters.banking as shop
import ecommerce.domain.payments as shop_payments
import healthcare.adapters.banking as clinic
import healthcare.domain.payments as clinic_payments

pytestmark = pytest.mark.unit

GATEWAYS = [
    pytest.param(shop.BankingPayments, shop_payments, id="ecommerce"),
    pytest.param(clinic.BankingPayments, clinic_payments, id="healthcare"),
]
CHARGE = ("acme", "k1", "acc_1", "acc_2", 100, "EUR", "r")


class StaticTokens:
    async def token(self, tenant: str) -> str:
        return "tok"


def _banking(answer: Callable[[httpx.Request], httpx.Response], calls: list[str]) -> ServiceClient:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return answer(request)

    return ServiceClient(
        "banking",
        settings=MeshSettings(
            services={"banking": ["http://banking"]}, max_attempts=1, breaker_fail_max=1000
        ),
        http=httpx.AsyncClient(transport=httpx.MockTransport(handle)),
    )


def _problem(status: int, slug: str) -> Callable[[httpx.Request], httpx.Response]:
    body = {"type": f"urn:lift:problem:{slug}", "title": slug, "status": status}
    return lambda _: httpx.Response(
        status, json=body, headers={"content-type": "application/problem+json"}
    )


@pytest.mark.parametrize(("gateway", "domain"), GATEWAYS)
async def test_an_unreachable_token_endpoint_makes_a_payment_unknown_and_sends_nothing(
    gateway: Any, domain: Any
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    calls: list[str] = []
    tokens: ServiceTokens = ClientCredentialsTokens(
        "https://idp.example/oauth2/token",
        client_id="svc",
        client_secret=SecretStr("s" * 32),
        http=httpx.AsyncClient(transport=httpx.MockTransport(down)),
    )
    client = _banking(lambda _: httpx.Response(201, json={"id": "p", "status": "x"}), calls)
    with pytest.raises(domain.PaymentUnknown):
        await gateway(client, tokens).charge(domain.Charge(*CHARGE))
    assert calls == []  # nothing is sent without the service's token
    await client.aclose()


@pytest.mark.parametrize(("gateway", "domain"), GATEWAYS)
@pytest.mark.parametrize(
    ("status", "slug", "refused"),
    [
        (403, "not-permitted", True),  # no mandate
        (404, "account-not-found", True),
        (422, "currency-mismatch", True),
        (409, "insufficient-funds", True),
        (409, "daily-limit-exceeded", True),
        (409, "idempotency-in-progress", False),  # the same charge is still being decided
        (503, "unavailable", False),
    ],
)
async def test_banking_problems_are_refusals_or_unknown_outcomes(
    gateway: Any, domain: Any, status: int, slug: str, refused: bool
) -> None:
    client = _banking(_problem(status, slug), [])
    expected = domain.PaymentRefused if refused else domain.PaymentUnknown
    with pytest.raises(expected) as raised:
        await gateway(client, StaticTokens()).charge(domain.Charge(*CHARGE))
    if refused:
        assert raised.value.reason == slug
    await client.aclose()
