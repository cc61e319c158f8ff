"""Transfers on in-memory fakes: every branch of the use case, no I/O."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from services.banking.tests.unit.conftest import ALICE, BOB, DAILY_LIMIT, TELLER, Bank

from lift_core.context import Principal

from banking.domain.accounts import AccountStatus
from banking.domain.exceptions import (
    AccountNotActive,
    AccountNotFound,
    CurrencyMismatch,
    DailyLimitExceeded,
    IdempotencyKeyReused,
    InsufficientFunds,
    SameAccount,
    TransferNotFound,
)
from banking.domain.money import Money
from banking.domain.payments import Outcome, Transfer

pytestmark = pytest.mark.unit


def send(
    bank: Bank,
    source: str,
    destination: str,
    amount: int,
    *,
    key: str = "k1",
    caller: Principal = ALICE,
    currency: str = "EUR",
) -> Outcome[Transfer]:
    return bank.banking.transfers.transfer(
        caller,
        key=key,
        source_id=source,
        destination_id=destination,
        money=Money(amount, currency),
        reference="rent",
    )


def test_a_transfer_moves_money_once_and_is_audited(bank: Bank) -> None:
    a, b = bank.account("alice", 10_000), bank.account("bob")
    outcome = send(bank, a, b, 2_500)
    assert outcome.created
    assert (outcome.value.amount, outcome.value.status) == (2_500, "completed")
    assert (bank.balance(a), bank.balance(b)) == (7_500, 2_500)
    assert bank.ledger.balance_of("acme", b) == 2_500
    assert bank.audit.actions() == [("transfer.create", "success")]


def test_the_same_key_replays_the_transfer_without_moving_money_again(bank: Bank) -> None:
    a, b = bank.account("alice", 10_000), bank.account("bob")
    first = send(bank, a, b, 2_500)
    again = send(bank, a, b, 2_500)
    assert (again.created, again.value) == (False, first.value)
    assert bank.balance(a) == 7_500


def test_a_replay_answers_what_the_key_made_even_once_the_state_would_refuse_it(
    bank: Bank,
) -> None:
    a, b = bank.account("alice", 3_000), bank.account("bob")
    first = send(bank, a, b, 2_500)
    bank.banking.accounts.set_frozen(TELLER, a, frozen=True)  # a new debit is refused now
    with pytest.raises(AccountNotActive):
        send(bank, a, b, 2_500, key="k2")
    again = send(bank, a, b, 2_500)
    assert (again.created, again.value) == (False, first.value)
    assert bank.balance(a) == 500
    with pytest.raises(IdempotencyKeyReused):  # and another request under it is still refused
        send(bank, a, b, 9_999)


def test_the_same_key_for_another_request_is_refused(bank: Bank) -> None:
    a, b = bank.account("alice", 10_000), bank.account("bob")
    send(bank, a, b, 2_500)
    with pytest.raises(IdempotencyKeyReused):
        send(bank, a, b, 2_600)
    assert bank.balance(a) == 7_500


def test_another_callers_key_names_another_operation(bank: Bank) -> None:
    a, b = bank.account("alice", 10_000), bank.account("bob", 10_000)
    send(bank, a, b, 100)
    other = send(bank, b, a, 100, caller=BOB)  # same key "k1", bob's own operation
    assert other.created
    assert (bank.balance(a), bank.balance(b)) == (10_000, 10_000)


Refusal = Callable[[Bank], tuple[str, str, int]]


def _to_itself(bank: Bank) -> tuple[str, str, int]:
    account = bank.account("alice", 100)
    return account, account, 50


REFUSALS: dict[str, tuple[Refusal, type[Exception]]] = {
    "same account": (_to_itself, SameAccount),
    "not enough funds": (
        lambda bank: (bank.account("alice", 100), bank.account("bob"), 101),
        InsufficientFunds,
    ),
    "frozen source": (
        lambda bank: (
            bank.account("alice", 100, status=AccountStatus.FROZEN),
            bank.account("bob"),
            50,
        ),
        AccountNotActive,
    ),
    "closed destination": (
        lambda bank: (
            bank.account("alice", 100),
            bank.account("bob", status=AccountStatus.CLOSED),
            50,
        ),
        AccountNotActive,
    ),
    "over the daily limit at once": (
        lambda bank: (bank.account("alice", 10**9), bank.account("bob"), DAILY_LIMIT + 1),
        DailyLimitExceeded,
    ),
    "someone else's source": (
        lambda bank: (bank.account("bob", 100), bank.account("alice"), 50),
        AccountNotFound,
    ),
    "unknown destination": (
        lambda bank: (bank.account("alice", 100), "acc_nope", 50),
        AccountNotFound,
    ),
    "destination in another currency": (
        lambda bank: (bank.account("alice", 100), bank.account("bob", currency="USD"), 50),
        CurrencyMismatch,
    ),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_refused_transfer_moves_nothing(bank: Bank, case: str) -> None:
    setup, error = REFUSALS[case]
    source, destination, amount = setup(bank)
    before = {a.id: a.balance for a in bank.accounts.items.values()}
    with pytest.raises(error):
        send(bank, source, destination, amount)
    assert {a.id: a.balance for a in bank.accounts.items.values()} == before
    assert bank.operations.items == {}


def test_a_refused_commit_is_audited_as_a_failure(bank: Bank) -> None:
    with pytest.raises(InsufficientFunds):
        send(bank, bank.account("alice", 100), bank.account("bob"), 101)
    assert bank.audit.actions() == [("transfer.create", "failure")]


def test_the_daily_limit_adds_up_over_the_day_and_resets_the_next(bank: Bank) -> None:
    a, b = bank.account("alice", 10**9), bank.account("bob")
    send(bank, a, b, DAILY_LIMIT - 10, key="k1")
    with pytest.raises(DailyLimitExceeded):
        send(bank, a, b, 11, key="k2")
    send(bank, a, b, 10, key="k3")  # exactly up to the limit
    bank.clock.advance(days=1)
    assert send(bank, a, b, DAILY_LIMIT, key="k4").created


def test_staff_move_money_between_anyones_accounts(bank: Bank) -> None:
    a, b = bank.account("alice", 1_000), bank.account("bob")
    assert send(bank, a, b, 1_000, caller=TELLER).created
    assert bank.balance(b) == 1_000


def test_a_transfer_is_visible_to_its_parties_and_staff_only(bank: Bank) -> None:
    a, b = bank.account("alice", 1_000), bank.account("bob")
    transfer = send(bank, a, b, 10).value
    transfers = bank.banking.transfers
    for who in (ALICE, BOB, TELLER):
        assert transfers.get(who, transfer.id) == transfer
    with pytest.raises(TransferNotFound):
        transfers.get(Principal("mallory", "acme"), transfer.id)
    with pytest.raises(TransferNotFound):
        transfers.get(Principal("alice", "globex"), transfer.id)
    with pytest.raises(TransferNotFound):
        transfers.get(ALICE, "trf_unknown")
