"""One thin client for the journeys: the same calls against any target."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Target:
    identity: str
    banking: str


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
        self.banking = httpx.Client(
            base_url=f"{target.banking}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

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
