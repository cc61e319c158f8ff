"""The client every service uses for the estate's payment API (banking's ``/payments``).

A service charges a payer as its own identity (the owner of its merchant account) under
the mandate the payer granted that account. Charges, look-ups and refunds are keyed: a
charge repeated with the same key lands at most once, so a saga can always ask again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lift_mesh.client import ServiceClient
from lift_mesh.credentials import ServiceTokens
from lift_mesh.errors import (
    ConflictError,
    ForbiddenError,
    MeshError,
    NotFoundError,
    ValidationError,
)

# 409s that describe the payer, not a transient state of the call.
_FINAL_CONFLICTS = frozenset(
    {"insufficient-funds", "daily-limit-exceeded", "account-not-active", "currency-mismatch"}
)


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    status: str  # captured, declined, partially_refunded, refunded
    amount: int
    refunded: int
    reasons: tuple[str, ...]

    @property
    def captured(self) -> bool:
        return self.status != "declined"


class PaymentRefused(Exception):
    """Banking answered and will not take this payment (no mandate, no funds...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PaymentUnknown(Exception):
    """Banking did not answer (down, timing out, breaker open): the outcome is unknown
    until it is looked up by idempotency key."""


def _slug(exc: MeshError) -> str:
    return str(exc.problem.get("type", "")).rsplit(":", 1)[-1] or type(exc).__name__


def _payment(body: dict[str, Any]) -> Payment:
    return Payment(
        id=body["id"],
        status=body["status"],
        amount=int(body["amount"]),
        refunded=int(body.get("refunded", 0)),
        reasons=tuple(body.get("decline_reasons", ())),
    )


class PaymentsClient:
    def __init__(self, client: ServiceClient, tokens: ServiceTokens) -> None:
        self.client = client
        self.tokens = tokens

    async def charge(
        self,
        tenant: str,
        *,
        key: str,
        payer_account_id: str,
        merchant_account_id: str,
        amount: int,
        currency: str,
        reference: str,
    ) -> Payment:
        """Captured or declined; raises ``PaymentRefused`` or ``PaymentUnknown``."""
        body = {
            "payer_account_id": payer_account_id,
            "merchant_account_id": merchant_account_id,
            "amount": amount,
            "currency": currency,
            "reference": reference,
        }
        try:
            return _payment(
                await self.client.post(
                    "/api/v1/payments",
                    json=body,
                    idempotency_key=key,
                    bearer=await self.tokens.token(tenant),
                )
            )
        except (ForbiddenError, NotFoundError, ValidationError) as exc:
            raise PaymentRefused(_slug(exc)) from exc
        except ConflictError as exc:
            if _slug(exc) in _FINAL_CONFLICTS:
                raise PaymentRefused(_slug(exc)) from exc
            raise PaymentUnknown(str(exc)) from exc
        except MeshError as exc:
            raise PaymentUnknown(str(exc)) from exc

    async def owns_account(self, account_id: str) -> bool:
        """Whether the *caller* (their token is forwarded) holds this bank account, so no
        one registers someone else's account to be charged."""
        try:
            await self.client.get(f"/api/v1/accounts/{account_id}/balance")
        except (NotFoundError, ForbiddenError):
            return False
        except MeshError as exc:
            raise PaymentUnknown(str(exc)) from exc
        return True

    async def find(self, tenant: str, key: str) -> Payment | None:
        """The payment made with ``key``, None if banking has none; ``PaymentUnknown`` if
        banking cannot say."""
        try:
            body = await self.client.get(
                "/api/v1/payments",
                params={"idempotency_key": key},
                bearer=await self.tokens.token(tenant),
            )
        except NotFoundError:
            return None
        except MeshError as exc:
            raise PaymentUnknown(str(exc)) from exc
        return _payment(body)

    async def refund(
        self, tenant: str, payment_id: str, *, amount: int, key: str, reason: str
    ) -> str:
        """The refund's id. Repeating it with the same key refunds once."""
        try:
            body = await self.client.post(
                f"/api/v1/payments/{payment_id}/refund",
                json={"amount": amount, "reason": reason},
                idempotency_key=key,
                bearer=await self.tokens.token(tenant),
            )
        except MeshError as exc:
            raise PaymentUnknown(str(exc)) from exc
        return str(body["id"])
