"""Banking's use cases on in-memory fakes, built by the same ``bootstrap`` as the app."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from services.banking.tests.fakes import InMemoryAccounts, InMemoryLedger, InMemoryOperations

from lift_core.audit import InMemoryAuditLog
from lift_core.clock import ManualClock
from lift_core.context import Principal
from lift_core.events import InMemoryInbox, InMemoryOutbox

from banking.bootstrap import Banking, bootstrap
from banking.config import BankingSettings
from banking.domain.accounts import Account, AccountStatus, AccountType

ALICE = Principal("alice", "acme", roles=frozenset({"customer"}))
BOB = Principal("bob", "acme", roles=frozenset({"customer"}))
SHOP = Principal("shop", "acme", roles=frozenset({"customer"}))
TELLER = Principal("tina", "acme", roles=frozenset({"teller"}))
DAILY_LIMIT = 5_000_000


@dataclass
class Bank:
    """The graph plus the fakes behind it, and a way to seed accounts directly."""

    banking: Banking
    accounts: InMemoryAccounts
    operations: InMemoryOperations
    ledger: InMemoryLedger
    audit: InMemoryAuditLog
    clock: ManualClock
    outbox: InMemoryOutbox
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def account(
        self,
        owner: str,
        balance: int = 0,
        *,
        type_: AccountType = AccountType.CHECKING,
        currency: str = "EUR",
        status: AccountStatus = AccountStatus.ACTIVE,
    ) -> str:
        account_id = f"acc_{owner}_{next(self.ids)}"
        self.accounts.add(
            Account(account_id, "acme", owner, type_, currency, status, balance, "2026-01-01")
        )
        return account_id

    def balance(self, account_id: str) -> int:
        return self.accounts.get("acme", account_id).balance


@pytest.fixture
def bank() -> Bank:
    return make_bank()


def make_bank() -> Bank:
    """Banking's graph on fresh fakes (the provider's message pact test builds one too)."""
    accounts, operations = InMemoryAccounts(), InMemoryOperations()
    ledger, audit, clock = InMemoryLedger(accounts, operations), InMemoryAuditLog(), ManualClock()
    outbox = InMemoryOutbox("banking", clock)
    banking = bootstrap(
        BankingSettings(daily_debit_limit=DAILY_LIMIT),
        accounts=accounts,
        operations=operations,
        ledger=ledger,
        audit=audit,
        outbox=outbox,
        inbox=InMemoryInbox(),
        clock=clock,
    )
    return Bank(banking, accounts, operations, ledger, audit, clock, outbox)
