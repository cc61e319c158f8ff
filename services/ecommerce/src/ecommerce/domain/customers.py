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


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer as stored: the personal data sealed, field by field."""

    tenant_id: str
    customer_id: str
    bank_account_id: str
    pii: dict[str, str]  # field -> ciphertext
    created_at: str
    erased_at: str | None
