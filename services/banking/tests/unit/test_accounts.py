"""Account use cases on in-memory fakes: opening, reading, freezing, posting, the ledger."""

from __future__ import annotations

import pytest
from services.banking.tests.unit.conftest import ALICE, BOB, TELLER, Bank

from lift_core.context import Principal

from banking.domain.accounts import AccountStatus, AccountType
from banking.domain.exceptions import (
    AccountNotActive,
    AccountNotFound,
    CurrencyMismatch,
    NotPermitted,
    UnknownCurrency,
)
from banking.domain.money import Money

pytestmark = pytest.mark.unit


def test_a_customer_opens_an_account_for_themselves_only(bank: Bank) -> None:
    accounts = bank.banking.accounts
    own = accounts.open(ALICE, AccountType.CHECKING, "EUR", None)
    assert (own.owner, own.balance, own.status) == ("alice", 0, AccountStatus.ACTIVE)
    with pytest.raises(NotPermitted):
        accounts.open(ALICE, AccountType.CHECKING, "EUR", "bob")
    assert accounts.open(TELLER, AccountType.SAVINGS, "EUR", "bob").owner == "bob"
    with pytest.raises(UnknownCurrency):
        accounts.open(ALICE, AccountType.CHECKING, "XXX", None)
    assert bank.audit.actions() == [("account.open", "success")] * 2


def test_reads_of_someone_elses_account_are_not_found_and_audited(bank: Bank) -> None:
    account = bank.account("alice", 100)
    accounts = bank.banking.accounts
    assert accounts.get(ALICE, account).balance == 100
    assert accounts.get(TELLER, account).id == account
    for stranger in (BOB, Principal("alice", "globex")):
        with pytest.raises(AccountNotFound):
            accounts.get(stranger, account)
    assert (
        bank.audit.actions() == [("account.read", "success")] * 2 + [("account.read", "denied")] * 2
    )


def test_listing_pages_through_the_callers_own_accounts(bank: Bank) -> None:
    mine = sorted(bank.account("alice") for _ in range(3))
    bank.account("bob")
    accounts = bank.banking.accounts
    first, after = accounts.list_own(ALICE, limit=2, after=None)
    rest, end = accounts.list_own(ALICE, limit=2, after=after)
    assert [a.id for a in first + rest] == mine
    assert end is None


def test_only_staff_freeze_and_a_frozen_account_is_not_debited(bank: Bank) -> None:
    account = bank.account("alice", 100)
    accounts = bank.banking.accounts
    with pytest.raises(NotPermitted):
        accounts.set_frozen(ALICE, account, frozen=True)
    assert accounts.set_frozen(TELLER, account, frozen=True).status is AccountStatus.FROZEN
    with pytest.raises(AccountNotActive):
        accounts.post(ALICE, account, "withdrawal", Money(10, "EUR"), "")
    accounts.post(ALICE, account, "deposit", Money(10, "EUR"), "")  # credits still land
    accounts.set_frozen(TELLER, account, frozen=False)
    updated, _ = accounts.post(ALICE, account, "withdrawal", Money(110, "EUR"), "")
    assert updated.balance == 0


def test_deposits_and_withdrawals_write_the_ledger_newest_first(bank: Bank) -> None:
    account = bank.account("alice")
    accounts = bank.banking.accounts
    _, deposit = accounts.post(ALICE, account, "deposit", Money(500, "EUR"), "salary")
    bank.clock.advance(seconds=1)
    updated, withdrawal = accounts.post(ALICE, account, "withdrawal", Money(200, "EUR"), "")
    assert (deposit.amount, withdrawal.amount, updated.balance) == (500, -200, 300)
    entries, _ = accounts.ledger(ALICE, account, limit=10, before=None)
    assert [e.amount for e in entries] == [-200, 500]
    assert bank.ledger.balance_of("acme", account) == updated.balance == 300
    with pytest.raises(CurrencyMismatch):
        accounts.post(ALICE, account, "deposit", Money(1, "USD"), "")
    with pytest.raises(AccountNotFound):
        accounts.ledger(BOB, account, limit=10, before=None)


def test_a_mandate_names_a_merchant_account_in_the_payers_currency(bank: Bank) -> None:
    payer = bank.account("alice")
    merchant = bank.account("shop", type_=AccountType.MERCHANT)
    accounts = bank.banking.accounts
    with pytest.raises(AccountNotFound):
        accounts.set_mandate(
            ALICE, payer, bank.account("bob"), max_amount=1, currency="EUR", active=True
        )
    with pytest.raises(CurrencyMismatch):
        accounts.set_mandate(ALICE, payer, merchant, max_amount=1, currency="USD", active=True)
    with pytest.raises(AccountNotFound):
        accounts.set_mandate(BOB, payer, merchant, max_amount=1, currency="EUR", active=True)
    granted = accounts.set_mandate(
        ALICE, payer, merchant, max_amount=100, currency="EUR", active=True
    )
    assert granted.covers(100, "EUR")
    assert not granted.covers(101, "EUR")
