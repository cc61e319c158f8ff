"""Banking's domain rules without any I/O."""

from __future__ import annotations

import dataclasses

import pytest

from lift_core.context import Principal

from banking.domain.accounts import Account, AccountStatus, AccountType
from banking.domain.exceptions import InvalidAmount, UnknownCurrency
from banking.domain.fraud import FraudRules, PaymentMethod, assess
from banking.domain.money import Money, minor_units
from banking.service.keyed import fingerprint, operation_id

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "100"])
def test_money_refuses_anything_but_positive_integers(amount: object) -> None:
    with pytest.raises(InvalidAmount):
        Money(amount, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["eur", "EURO", "XXX", "ABC", ""])
def test_money_refuses_codes_outside_iso_4217(currency: str) -> None:
    with pytest.raises(UnknownCurrency):
        Money(100, currency)


def test_minor_units_follow_iso_4217() -> None:
    assert (minor_units("EUR"), minor_units("JPY"), minor_units("KWD")) == (2, 0, 3)


def test_accounts_are_visible_to_their_owner_and_staff_only() -> None:
    account = Account(
        "acc_1",
        "acme",
        "alice",
        AccountType.CHECKING,
        "EUR",
        AccountStatus.ACTIVE,
        0,
        "2026-11-22T00:00:00+00:00",
    )
    assert account.visible_to("alice", frozenset({"customer"}))
    assert account.visible_to("tina", frozenset({"teller"}))
    assert not account.visible_to("bob", frozenset({"customer"}))


def test_fraud_score_adds_up_rules_and_declines_at_the_threshold() -> None:
    rules = FraudRules()
    quiet = assess(
        amount=1_000,
        method=PaymentMethod.ACCOUNT,
        recent_payments=0,
        paid_payee_before=True,
        rules=rules,
    )
    assert (quiet.score, quiet.reasons, quiet.declined) == (0.0, (), False)
    risky = assess(
        amount=600_000,
        method=PaymentMethod.CARD,
        recent_payments=6,
        paid_payee_before=False,
        rules=rules,
    )
    assert risky.reasons == (
        "high_amount",
        "velocity",
        "first_payment_to_payee",
        "card_not_present",
    )
    assert (risky.score, risky.declined) == (0.9, True)
    capped = assess(
        amount=9_000_000,
        method=PaymentMethod.CARD,
        recent_payments=9,
        paid_payee_before=False,
        rules=rules,
    )
    assert capped.score == 1.0


def test_operation_ids_are_deterministic_per_caller_scope_and_key() -> None:
    alice, bob = Principal("alice", "acme"), Principal("bob", "acme")
    assert operation_id("trf", alice, "transfer", "k") == operation_id(
        "trf", Principal("alice", "acme", roles=frozenset({"x"})), "transfer", "k"
    )
    assert operation_id("trf", alice, "transfer", "k") != operation_id(
        "trf", Principal("alice", "globex"), "transfer", "k"
    )
    # Another customer of the same tenant reusing the key names another operation.
    assert operation_id("trf", alice, "transfer", "k") != operation_id("trf", bob, "transfer", "k")
    assert operation_id("rfd", alice, "refund:p1", "k") != operation_id(
        "rfd", alice, "refund:p2", "k"
    )
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})


@pytest.mark.parametrize(
    ("remembered", "at", "expected"),
    [
        ((), "t5", ("t5",)),
        (("t1", "t3"), "t2", ("t2", "t3")),  # t1 is before the window; kept in time order
        (("t2", "t3", "t4"), "t5", ("t3", "t4", "t5")),  # only the newest three
        (("t0", "t1"), "t9", ("t9",)),
    ],
    ids=["first", "window", "limit", "all-expired"],
)
def test_an_account_remembers_only_the_payments_the_velocity_rule_counts(
    remembered: tuple[str, ...], at: str, expected: tuple[str, ...]
) -> None:
    payer = Account(
        "acc_1", "acme", "alice", AccountType.CHECKING, "EUR", AccountStatus.ACTIVE, 0, ""
    )
    paid = dataclasses.replace(payer, recent_payments=remembered).paid_at(at, since="t2", keep=3)
    assert paid.recent_payments == expected
    assert paid.payments_since("t2") == len(expected)
