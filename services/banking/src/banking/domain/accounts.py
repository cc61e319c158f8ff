"""Accounts and the rules on them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccountType(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"
    MERCHANT = "merchant"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


STAFF_ROLES = frozenset({"teller", "admin"})


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    tenant_id: str
    owner: str
    type: AccountType
    currency: str
    status: AccountStatus
    balance: int
    created_at: str
    debit_day: str = ""  # the day ``debited_today`` counts (UTC, YYYY-MM-DD)
    debited_today: int = 0

    def visible_to(self, subject: str, roles: frozenset[str]) -> bool:
        return self.owner == subject or not roles.isdisjoint(STAFF_ROLES)
