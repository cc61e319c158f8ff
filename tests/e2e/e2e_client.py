"""One thin client for the journeys: the same calls against any target."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class Target:
    identity: str
    banking: str
    ecommerce: str
    healthcare: str
    # What only some targets can do: read a service's log, stop and start a service.
    logs: Callable[[str], str] | None = None
    stop: Callable[[str], None] | None = None
    start: Callable[[str], None] | None = None
    banner: str | None = None  # what the estate printed on start (URLs, tokens, examples)
    control_dir: Path | None = None  # the embedded estate's supervisor: pids and requests


class Lift:
    """A caller of the estate: one tenant, one subject, some roles."""

    def __init__(self, target: Target, tenant: str, subject: str, roles: list[str]) -> None:
        token = (
            httpx.post(
                f"{target.identity}/token",
                json={"tenant_id": tenant, "subject": subject, "roles": roles},
                timeout=10,
            )
            .raise_for_status()
            .json()["access_token"]
        )
        auth = {"Authorization": f"Bearer {token}"}
        self.banking = httpx.Client(base_url=f"{target.banking}/api/v1", headers=auth, timeout=30)
        self.shop = httpx.Client(base_url=f"{target.ecommerce}/api/v1", headers=auth, timeout=30)
        self.care = httpx.Client(base_url=f"{target.healthcare}/api/v1", headers=auth, timeout=30)

    def open_account(self, kind: str = "checking", owner: str | None = None) -> str:
        body: dict[str, Any] = {"type": kind, "currency": "EUR"}
        if owner:
            body["owner"] = owner
        account_id: str = self.banking.post("/accounts", json=body).raise_for_status().json()["id"]
        return account_id

    def deposit(self, account_id: str, amount: int) -> None:
        self.banking.post(
            f"/accounts/{account_id}/transactions",
            json={"kind": "deposit", "amount": amount, "currency": "EUR"},
        ).raise_for_status()

    def balance(self, account_id: str) -> int:
        response = self.banking.get(f"/accounts/{account_id}/balance").raise_for_status()
        balance: int = response.json()["balance"]
        return balance

    def transfer(
        self, source: str, destination: str, amount: int, key: str | None = None
    ) -> httpx.Response:
        return self.banking.post(
            "/transfers",
            json={
                "source_account_id": source,
                "destination_account_id": destination,
                "amount": amount,
                "currency": "EUR",
            },
            headers={"Idempotency-Key": key or uuid.uuid4().hex},
        )

    def pay(self, payer: str, merchant: str, amount: int, key: str) -> httpx.Response:
        return self.banking.post(
            "/payments",
            json={
                "payer_account_id": payer,
                "merchant_account_id": merchant,
                "amount": amount,
                "currency": "EUR",
            },
            headers={"Idempotency-Key": key},
        )

    def refund(self, payment_id: str, amount: int, key: str) -> httpx.Response:
        return self.banking.post(
            f"/payments/{payment_id}/refund",
            json={"amount": amount},
            headers={"Idempotency-Key": key},
        )

    def audit_verify(self) -> dict[str, Any]:
        result: dict[str, Any] = (
            self.banking.get("/compliance/audit-trail/verify").raise_for_status().json()
        )
        return result

    # -- banking: mandates ------------------------------------------------------------------

    def grant_mandate(self, account_id: str, merchant_id: str, max_amount: int) -> None:
        self.banking.put(
            f"/accounts/{account_id}/mandates/{merchant_id}",
            json={"max_amount": max_amount, "currency": "EUR"},
        ).raise_for_status()

    # -- e-commerce -------------------------------------------------------------------------

    def configure_store(self, merchant_id: str) -> None:
        self.shop.put(
            "/store",
            json={
                "merchant_account_id": merchant_id,
                "currency": "EUR",
                "tax_rate_bp": 2000,
                "shipping_fee": 500,
                "free_shipping_from": 10_000,
            },
        ).raise_for_status()

    def add_product(self, sku: str, price: int, quantity: int) -> str:
        body = {
            "sku": sku,
            "name": sku.title(),
            "category": "e2e",
            "price": price,
            "currency": "EUR",
            "quantity": quantity,
        }
        product_id: str = self.shop.post("/products", json=body).raise_for_status().json()["id"]
        return product_id

    def product(self, product_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.shop.get(f"/products/{product_id}").raise_for_status().json()
        return body

    def register(self, bank_account_id: str) -> None:
        self.shop.post(
            "/customers",
            json={
                "bank_account_id": bank_account_id,
                "name": "E2E Customer",
                "email": "e2e@example.com",
                "address": "1 Test Street",
            },
        ).raise_for_status()

    def add_to_cart(self, product_id: str, quantity: int) -> None:
        self.shop.post(
            "/cart/items", json={"product_id": product_id, "quantity": quantity}
        ).raise_for_status()

    def checkout(self, key: str) -> httpx.Response:
        return self.shop.post("/cart/checkout", headers={"Idempotency-Key": key})


def shop_with_buyer(target: Target, tenant: str, *, stock: int, funds: int) -> dict[str, Any]:
    """A store whose merchant account e-commerce owns, one product, and a registered buyer
    with ``funds`` who granted the store a mandate."""
    teller = Lift(target, tenant, "tina", ["teller"])
    admin = Lift(target, tenant, "ada", ["admin"])
    merchant = teller.open_account("merchant", owner="ecommerce")
    admin.configure_store(merchant)
    product = admin.add_product("MUG-E2E", price=1_000, quantity=stock)
    buyer = Lift(target, tenant, "bea", ["customer"])
    account = buyer.open_account()
    buyer.deposit(account, funds)
    buyer.grant_mandate(account, merchant, 100_000)
    buyer.register(account)
    return {
        "teller": teller,
        "admin": admin,
        "buyer": buyer,
        "merchant": merchant,
        "account": account,
        "product": product,
    }


@contextmanager
def faults(target: Target, admin: Lift, service: str, **faults: float | bool) -> Iterator[None]:
    """Faults injected into one service for the block (dev/test estates): latency and
    errors on its API, or its local event relay and consumers held (``events_paused``)."""
    url = f"{getattr(target, service)}/internal/faults"
    admin.banking.put(url, json=faults).raise_for_status()
    try:
        yield
    finally:
        admin.banking.delete(url).raise_for_status()
