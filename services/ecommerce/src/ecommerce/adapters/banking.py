"""E-commerce's payment gateway on banking's HTTP API (``/api/v1/payments``), over
lift_mesh's ``ServiceClient``. This is e-commerce's view of banking: the routes it calls,
and which of banking's problems mean "refused" rather than "unknown".

The store charges as its own identity (the owner of its merchant account) under the mandate
the customer granted that account.
"""

from __future__ import annotations

from typing import Any

from lift_mesh import (
    ConflictError,
    ForbiddenError,
    MeshError,
    NotFoundError,
    ServiceClient,
    ServiceTokens,
    ValidationError,
)

from ecommerce.domain.payments import Charge, Payment, PaymentRefused, PaymentUnknown

# 409s that describe the payer, not a transient state of the call.
_FINAL_CONFLICTS = frozenset(
    {"insufficient-funds", "daily-limit-exceeded", "account-not-active", "currency-mismatch"}
)


def payment_of(body: dict[str, Any]) -> Payment:
    return Payment(
        id=body["id"],
        status=body["status"],
        amount=int(body["amount"]),
        refunded=int(body.get("refunded", 0)),
        reasons=tuple(body.get("decline_reasons", ())),
    )


class BankingPayments:
    def __init__(self, client: ServiceClient, tokens: ServiceTokens) -> None:
        self.client = client
        self.tokens = tokens

    async def charge(self, charge: Charge) -> Payment:
        body = {
            "payer_account_id": charge.payer_account_id,
            "merchant_account_id": charge.merchant_account_id,
            "amount": charge.amount,
            "currency": charge.currency,
            "reference": charge.reference,
        }
        try:
            answer = await self.client.post(
                "/api/v1/payments",
                json=body,
                idempotency_key=charge.key,
                bearer=await self.tokens.token(charge.tenant),
            )
        except (ForbiddenError, NotFoundError, ValidationError) as exc:
            raise PaymentRefused(exc.slug) from exc
        except ConflictError as exc:
            if exc.slug in _FINAL_CONFLICTS:
                raise PaymentRefused(exc.slug) from exc
            raise PaymentUnknown(str(exc)) from exc
        except MeshError as exc:
            raise PaymentUnknown(str(exc)) from exc
        return payment_of(answer)

    async def find(self, tenant: str, key: str) -> Payment | None:
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
        return payment_of(body)

    async def refund(
        self, tenant: str, payment_id: str, *, amount: int, key: str, reason: str
    ) -> str:
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

    async def owns_account(self, account_id: str) -> bool:
        """Asked with the caller's own token (propagated), so no one registers someone
        else's account to be charged."""
        try:
            await self.client.get(f"/api/v1/accounts/{account_id}/balance")
        except (NotFoundError, ForbiddenError):
            return False
        except MeshError as exc:
            raise PaymentUnknown(str(exc)) from exc
        return True

    async def aclose(self) -> None:
        await self.client.aclose()
