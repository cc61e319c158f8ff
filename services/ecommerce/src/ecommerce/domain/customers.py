"""Customers: the bank account they pay from and their personal data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Customer:
    """``id`` is the customer's subject in the identity provider. ``name``, ``email`` and
    ``address`` are personal data: stored encrypted under the customer's own key."""

    id: str
    tenant_id: str
    bank_account_id: str
    name: str
    email: str
    address: str
    created_at: str
