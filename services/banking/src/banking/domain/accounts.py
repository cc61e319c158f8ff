"""Accounts and the rules on them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from banking.domain.exceptions import AccountNotActive, DailyLimitExceeded, InsufficientFunds


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
    # The times of the account's latest payments as payer (captured or declined), oldest
    # first, only those the fraud velocity rule still needs: that rule's memory.
    recent_payments: tuple[str, ...] = ()

    def payments_since(self, since: str) -> int:
        return sum(1 for at in self.recent_payments if at >= since)

    def paid_at(self, at: str, *, since: str, keep: int) -> Account:
        """The account after a payment at ``at``: of its payments since ``since``, the
        newest ``keep`` times remembered (the velocity rule asks no more)."""
        recent = sorted(t for t in (*self.recent_payments, at) if t >= since)[-keep:]
        return dataclasses.replace(self, recent_payments=tuple(recent))

    def visible_to(self, subject: str, roles: frozenset[str]) -> bool:
        return self.owner == subject or not roles.isdisjoint(STAFF_ROLES)

    def moved(self, delta: int, *, day: str, daily_limit: int | None = None) -> Account:
        """The account after ``delta`` minor units move (negative: a debit), or the rule
        that refuses it: a debit needs an active account, the funds and, with a limit, room
        under the day's debit total; a credit needs an account that is not closed."""
        if delta >= 0:
            if self.status is AccountStatus.CLOSED:
                raise AccountNotActive(f"account {self.id} is closed")
            return dataclasses.replace(self, balance=self.balance + delta)
        amount = -delta
        if daily_limit is not None and amount > daily_limit:
            raise DailyLimitExceeded(f"{amount} is over the daily debit limit of {daily_limit}")
        if self.status is not AccountStatus.ACTIVE:
            raise AccountNotActive(f"account {self.id} is {self.status.value}")
        if self.balance < amount:
            raise InsufficientFunds(f"account {self.id} cannot cover {amount}")
        if daily_limit is None:
            return dataclasses.replace(self, balance=self.balance - amount)
        spent = self.debited_today if self.debit_day == day else 0
        if spent + amount > daily_limit:
            raise DailyLimitExceeded(f"account {self.id} reached its daily debit limit")
        return dataclasses.replace(
            self, balance=self.balance - amount, debit_day=day, debited_today=spent + amount
        )
