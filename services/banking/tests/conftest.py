"""The banking app on the embedded emulator, with a thin client per caller."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier

from banking.bootstrap import Banking, bootstrap
from banking.config import BankingSettings
from banking.main import create_banking_app


@pytest.fixture
def banking_lift(db_settings: LiftSettings) -> LiftSettings:
    return db_settings.model_copy(update={"service_name": "banking"})


@pytest.fixture
def banking(banking_lift: LiftSettings) -> Banking:
    """Banking's graph on the embedded emulator (the app below serves this one)."""
    return bootstrap(BankingSettings(daily_debit_limit=5_000_000), lift=banking_lift)


@pytest.fixture
def banking_app(banking_lift: LiftSettings, banking: Banking, verifier: JwtVerifier) -> FastAPI:
    return create_banking_app(banking_lift, verifier=verifier, services=banking)


Caller = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def caller(banking_app: FastAPI, mint: Callable[..., str]) -> AsyncIterator[Caller]:
    """``caller("alice", roles=["customer"], tenant="acme")`` → an authenticated client."""
    clients: list[httpx.AsyncClient] = []

    def make(
        subject: str, *, roles: list[str] | None = None, tenant: str = "acme"
    ) -> httpx.AsyncClient:
        token = mint(tenant, subject, roles=roles or ["customer"])
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=banking_app),
            base_url="http://banking",
            headers={"Authorization": f"Bearer {token}"},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def key() -> str:
    return uuid.uuid4().hex


async def open_funded(
    client: httpx.AsyncClient,
    amount: int,
    *,
    currency: str = "EUR",
    type_: str = "checking",
    owner: str | None = None,
) -> str:
    body: dict[str, Any] = {"type": type_, "currency": currency}
    if owner:
        body["owner"] = owner
    created = await client.post("/api/v1/accounts", json=body)
    assert created.status_code == 201, created.text
    account_id: str = created.json()["id"]
    if amount:
        deposit = await client.post(
            f"/api/v1/accounts/{account_id}/transactions",
            json={"kind": "deposit", "amount": amount, "currency": currency},
        )
        assert deposit.status_code == 201, deposit.text
    return account_id


@pytest.fixture
def helpers() -> Any:
    class H:
        key = staticmethod(key)
        open_funded = staticmethod(open_funded)

    return H
