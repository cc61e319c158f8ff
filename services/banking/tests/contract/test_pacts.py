"""Banking verifies every consumer's pact (``contracts/pacts/``) against its real app.

Pact's verifier replays each recorded request against banking served over HTTP on the
embedded emulator, after asking the state endpoint below to set up the interaction's
provider state with the real use cases. A change to banking's payment API that a consumer
relies on (a path, a status, a field, a problem type) fails here.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from devtools.estate import free_port
from fastapi import FastAPI, HTTPException
from pact import Verifier
from tests.contracts import PACT_DIR

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier, StaticJwksSource
from lift_core.config import Environment
from lift_core.devidentity import DevIssuer, TokenRequest

from banking.bootstrap import bootstrap
from banking.domain.accounts import Account, AccountStatus, AccountType
from banking.domain.exceptions import AccountNotFound
from banking.main import create_banking_app
from banking.service.ports import AccountRepository

pytestmark = pytest.mark.integration

TENANT = "acme"
CONSUMERS = sorted(p.name.removesuffix("-banking.json") for p in PACT_DIR.glob("*-banking.json"))


@dataclass
class Provider:
    url: str
    token: str


def _states(banking: FastAPI, bank: AccountRepository, consumer: str, mint: Any) -> FastAPI:
    """Provider states, set up through banking's own repository and API."""
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=banking), base_url="http://banking")
    states = FastAPI()

    def open_account(account_id: str, owner: str, kind: AccountType) -> None:
        try:
            bank.get(TENANT, account_id)
            return  # set up by an earlier interaction
        except AccountNotFound:
            pass
        bank.add(
            Account(
                id=account_id,
                tenant_id=TENANT,
                owner=owner,
                type=kind,
                currency="EUR",
                status=AccountStatus.ACTIVE,
                balance=0,
                created_at="2026-01-01T00:00:00+00:00",
            )
        )

    async def call(method: str, path: str, subject: str, roles: list[str], **kw: Any) -> Any:
        token = mint(TENANT, subject, roles=roles)
        response = await api.request(
            method,
            path,
            headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})},
            **kw,
        )
        assert response.status_code < 300, response.text
        return response.json()

    async def funded_payer_under_mandate(payer: str, merchant: str, balance: int) -> None:
        owner = f"owner-of-{payer}"
        open_account(merchant, consumer, AccountType.MERCHANT)
        open_account(payer, owner, AccountType.CHECKING)
        await call(
            "POST",
            f"/api/v1/accounts/{payer}/transactions",
            "teller-tess",
            ["teller"],
            json={"kind": "deposit", "amount": balance, "currency": "EUR"},
        )
        await call(
            "PUT",
            f"/api/v1/accounts/{payer}/mandates/{merchant}",
            owner,
            ["customer"],
            json={"max_amount": 1_000_000, "currency": "EUR"},
        )

    async def without_mandate(payer: str, merchant: str) -> None:
        open_account(merchant, consumer, AccountType.MERCHANT)
        open_account(payer, f"owner-of-{payer}", AccountType.CHECKING)

    async def captured(payer: str, merchant: str, key: str) -> dict[str, Any]:
        await funded_payer_under_mandate(payer, merchant, 10_000)
        payment = await call(
            "POST",
            "/api/v1/payments",
            consumer,
            ["service"],
            headers={"Idempotency-Key": key},
            json={
                "payer_account_id": payer,
                "merchant_account_id": merchant,
                "amount": 2500,
                "currency": "EUR",
                "reference": f"order {key}",
            },
        )
        return {"paymentId": payment["id"]}  # injected into the refund path

    async def nothing(**_: Any) -> None:
        return None

    async def held_by_caller(account: str) -> None:
        open_account(account, consumer, AccountType.CHECKING)

    async def held_by_someone_else(account: str) -> None:
        open_account(account, "mallory", AccountType.CHECKING)

    handlers: dict[str, Callable[..., Awaitable[dict[str, Any] | None]]] = {
        "a funded payer under a mandate": funded_payer_under_mandate,
        "a funded payer without a mandate": without_mandate,
        "a payment was captured with a key": captured,
        "no payment was made with a key": nothing,
        "the caller holds an account": held_by_caller,
        "someone else holds an account": held_by_someone_else,
    }

    @states.post("/_pact/state")
    async def state(change: dict[str, Any]) -> dict[str, Any]:
        name, params = change.get("state", ""), change.get("params") or {}
        if change.get("action", "setup") != "setup" or name == "":
            return {}
        if name not in handlers:
            raise HTTPException(400, f"banking has no provider state named {name!r}")
        return await handlers[name](**params) or {}

    return states


@pytest.fixture(params=CONSUMERS)
def provider(
    request: pytest.FixtureRequest, dynamodb_endpoint: str, issuer: DevIssuer
) -> Iterator[Provider]:
    consumer: str = request.param
    lift = LiftSettings(
        environment=Environment.TEST,
        service_name="banking",
        dynamodb_endpoint=dynamodb_endpoint,
        table_prefix=f"p{uuid.uuid4().hex[:10]}-",
        auto_create_tables=True,
    )
    verifier = JwtVerifier(
        StaticJwksSource(issuer.jwks()), issuer=lift.jwt_issuer, audience=lift.jwt_audience
    )

    def mint(tenant: str, subject: str, *, roles: list[str]) -> str:
        return issuer.mint(
            TokenRequest(tenant_id=tenant, subject=subject, roles=roles)
        ).access_token

    services = bootstrap(lift=lift)
    banking = create_banking_app(lift, verifier=verifier, services=services)
    states = _states(banking, services.storage.accounts, consumer, mint)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        target = states if scope.get("path") == "/_pact/state" else banking
        await target(scope, receive, send)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "banking did not start"
        time.sleep(0.02)
    yield Provider(f"http://127.0.0.1:{port}", mint(TENANT, consumer, roles=["service"]))
    server.should_exit = True
    thread.join(timeout=10)


def test_pacts_exist_for_both_consumers() -> None:
    assert CONSUMERS == ["ecommerce", "healthcare"]


def test_banking_honours_the_consumers_pact(
    provider: Provider, request: pytest.FixtureRequest
) -> None:
    consumer = request.node.callspec.params["provider"]
    verifier = (
        Verifier("banking", host="127.0.0.1")
        .add_transport(url=provider.url)
        .add_source(PACT_DIR / f"{consumer}-banking.json")
        .state_handler(f"{provider.url}/_pact/state", body=True)
        .add_custom_header("Authorization", f"Bearer {provider.token}")
    )
    verifier.verify()  # raises, with the verifier's report, when an interaction fails
    results = verifier.results
    assert results["result"] is True, verifier.output(strip_ansi=True)
