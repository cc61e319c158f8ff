"""Mandates: an account owner's standing permission for one merchant to charge them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mandate:
    """Lets the owner of ``merchant_account_id`` pull payments of at most ``max_amount``
    (in ``currency``) from ``payer_account_id``, until revoked (a direct-debit mandate)."""

    tenant_id: str
    payer_account_id: str
    merchant_account_id: str
    max_amount: int
    currency: str
    active: bool
    created_at: str

    def covers(self, amount: int, currency: str) -> bool:
        return self.active and currency == self.currency and 0 < amount <= self.max_amount


def mandate_id(payer_account_id: str, merchant_account_id: str) -> str:
    return f"mdt_{payer_account_id}_{merchant_account_id}"
