"""E-commerce and the real banking app in one process, on the embedded emulator.

Banking is reached through a real ``ServiceClient`` whose transport a test can break: down
(connection refused), slow (beyond the attempt timeout) or ``lose_response`` (banking acts,
the answer never arrives) — the failures a saga must survive.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from tests.banking_link import BankingLink, MintedTokens

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier
from lift_mesh import MeshSettings, ServiceClient

from banking.config import BankingSettings
from banking.main import create_banking_app
from ecommerce.adapters.banking import BankingPayments
from ecommerce.bootstrap import Shop, bootstrap
from ecommerce.config import EcommerceSettings
from ecommerce.main import create_ecommerce_app

MERCHANT_SUBJECT = "ecommerce"


@dataclass
class Estate:
    banking_app: FastAPI
    shop_app: FastAPI
    ecommerce: Shop  # the graph shop_app serves
    link: BankingLink
    mint: Callable[..., str]
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    merchant: dict[str, str] = field(default_factory=dict)

    def _client(
        self, app: FastAPI, subject: str, roles: list[str], tenant: str
    ) -> httpx.AsyncClient:
        token = self.mint(tenant, subject, roles=roles)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        )
        self.clients.append(client)
        return client

    def shop(
        self, subject: str, *, roles: list[str] | None = None, tenant: str = "acme"
    ) -> httpx.AsyncClient:
        return self._client(self.shop_app, subject, roles or ["customer"], tenant)

    def bank(
        self, subject: str, *, roles: list[str] | None = None, tenant: str = "acme"
    ) -> httpx.AsyncClient:
        return self._client(self.banking_app, subject, roles or ["customer"], tenant)

    async def open_store(self, tenant: str = "acme") -> str:
        teller = self.bank("tess", roles=["teller"], tenant=tenant)
        created = await teller.post(
            "/api/v1/accounts",
            json={"type": "merchant", "currency": "EUR", "owner": MERCHANT_SUBJECT},
        )
        assert created.status_code == 201, created.text
        merchant: str = created.json()["id"]
        admin = self.shop("ada", roles=["admin"], tenant=tenant)
        store = await admin.put(
            "/api/v1/store",
            json={
                "merchant_account_id": merchant,
                "currency": "EUR",
                "tax_rate_bp": 2000,
                "shipping_fee": 500,
                "free_shipping_from": 10_000,
            },
        )
        assert store.status_code == 200, store.text
        self.merchant[tenant] = merchant
        return merchant

    async def product(
        self, *, price: int, quantity: int, tenant: str = "acme", category: str = "kitchen"
    ) -> str:
        admin = self.shop("ada", roles=["admin"], tenant=tenant)
        created = await admin.post(
            "/api/v1/products",
            json={
                "sku": f"SKU-{uuid.uuid4().hex[:10].upper()}",
                "name": "Enamel mug",
                "description": "Holds coffee",
                "category": category,
                "price": price,
                "currency": "EUR",
                "quantity": quantity,
            },
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    async def customer(
        self, subject: str, *, funds: int, mandate: int = 1_000_000, tenant: str = "acme"
    ) -> tuple[httpx.AsyncClient, str]:
        """A registered shop customer with a funded bank account; the mandate lets the
        shop charge it (0: no mandate)."""
        bank = self.bank(subject, tenant=tenant)
        opened = await bank.post("/api/v1/accounts", json={"type": "checking", "currency": "EUR"})
        assert opened.status_code == 201, opened.text
        account: str = opened.json()["id"]
        if funds:
            deposit = await bank.post(
                f"/api/v1/accounts/{account}/transactions",
                json={"kind": "deposit", "amount": funds, "currency": "EUR"},
            )
            assert deposit.status_code == 201, deposit.text
        if mandate:
            granted = await bank.put(
                f"/api/v1/accounts/{account}/mandates/{self.merchant[tenant]}",
                json={"max_amount": mandate, "currency": "EUR"},
            )
            assert granted.status_code == 200, granted.text
        shop = self.shop(subject, tenant=tenant)
        registered = await shop.post(
            "/api/v1/customers",
            json={
                "bank_account_id": account,
                "name": f"Customer {subject}",
                "email": f"{subject}@example.com",
                "address": f"{subject} street 1",
            },
        )
        assert registered.status_code == 201, registered.text
        return shop, account

    @staticmethod
    def headers(idempotency_key: str | None = None) -> dict[str, str]:
        return {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}

    async def balance(self, account: str, tenant: str = "acme") -> int:
        teller = self.bank("tess", roles=["teller"], tenant=tenant)
        response = await teller.get(f"/api/v1/accounts/{account}/balance")
        assert response.status_code == 200, response.text
        return int(response.json()["balance"])

    async def stock(self, product: str, tenant: str = "acme") -> tuple[int, int, int]:
        """(quantity, reserved, available) as stored, bypassing the catalogue cache."""
        admin = self.shop("ada", roles=["admin"], tenant=tenant)
        body = (await admin.get(f"/api/v1/products/{product}")).json()
        return body["quantity"], body["reserved"], body["available"]


@pytest.fixture
async def estate(
    request: pytest.FixtureRequest,
    db_settings: LiftSettings,
    verifier: JwtVerifier,
    mint: Callable[..., str],
) -> AsyncIterator[Estate]:
    """Banking and e-commerce; ``indirect`` parametrization overrides e-commerce's
    LiftSettings (e.g. a longer request timeout for a load test)."""
    shop_overrides: dict[str, object] = getattr(request, "param", {})
    banking_app = create_banking_app(
        db_settings.model_copy(update={"service_name": "banking"}),
        BankingSettings(daily_debit_limit=100_000_000),
        verifier=verifier,
    )
    link = BankingLink(banking_app)
    mesh = MeshSettings(
        services={"banking": ["http://banking"]},
        # Tight enough that a "slow" banking (5 s) times out, loose enough for a busy CI.
        attempt_timeout_seconds=1.0,
        call_timeout_seconds=2.5,
        max_attempts=2,
        backoff_base_seconds=0.01,
        breaker_fail_max=1000,  # these tests look at the saga, not at the breaker
    )
    client = ServiceClient("banking", settings=mesh, http=httpx.AsyncClient(transport=link))
    shop_lift = db_settings.model_copy(update={"service_name": "ecommerce", **shop_overrides})
    ecommerce = bootstrap(
        EcommerceSettings(
            recovery_interval_seconds=0, recovery_min_age_seconds=0, catalog_cache_seconds=0
        ),
        lift=shop_lift,
        payments=BankingPayments(client, MintedTokens(mint, MERCHANT_SUBJECT)),
    )
    shop_app = create_ecommerce_app(shop_lift, verifier=verifier, services=ecommerce)
    estate = Estate(banking_app, shop_app, ecommerce, link, mint)
    yield estate
    for c in estate.clients:
        await c.aclose()
    await client.aclose()
