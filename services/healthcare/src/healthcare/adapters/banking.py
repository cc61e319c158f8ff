"""Healthcare's payment gateway on banking's HTTP API, over lift_mesh's ``ServiceClient``:
the two calls billing makes (a keyed charge, and whether a patient holds an account) and
which of banking's problems mean "refused" rather than "unknown".

The clinic charges as its own identity (the owner of its merchant account) under the mandate
the patient granted that account.
"""

from __future__ import annotations

from lift_mesh import (
    ConflictError,
    ForbiddenError,
    MeshError,
    NotFoundError,
    ServiceClient,
    ServiceTokens,
    ValidationError,
)

from healthcare.domain.payments import Charge, Payment, PaymentRefused, PaymentUnknown

# 409s that describe the patient's account, not a transient state of the call.
_FINAL_CONFLICTS = frozenset(
    {"insufficient-funds", "daily-limit-exceeded", "account-not-active", "currency-mismatch"}
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
        return Payment(answer["id"], answer["status"], tuple(answer.get("decline_reasons", ())))

    async def owns_account(self, account_id: str) -> bool:
        """Asked with the caller's own token (propagated): a patient links only an account
        they hold."""
        try:
            await self.client.get(f"/api/v1/accounts/{account_id}/balance")
        except (NotFoundError, ForbiddenError):
            return False
        except MeshError as exc:
            raise PaymentUnknown(str(exc)) from exc
        return True

    async def aclose(self) -> None:
        await self.client.aclose()
