"""Payments, mandates and refunds on in-memory fakes: every branch, no I/O."""

from __future__ import annotations

import pytest
from services.banking.tests.unit.conftest import ALICE, BOB, SHOP, TELLER, Bank
from tests.event_schemas import assert_in_catalogue

from lift_core.context import Principal

from banking.domain.accounts import AccountType
from banking.domain.exceptions import (
    AccountNotFound,
    IdempotencyKeyReused,
    InsufficientFunds,
    NotPermitted,
    PaymentNotFound,
    PaymentNotRefundable,
    RefundExceedsCapture,
    SameAccount,
)
from banking.domain.fraud import PaymentMethod
from banking.domain.money import Money
from banking.domain.payments import Outcome, Payment, PaymentStatus

pytestmark = pytest.mark.unit


def pay(
    bank: Bank,
    payer: str,
    merchant: str,
    amount: int,
    *,
    key: str = "p1",
    caller: Principal = ALICE,
    method: PaymentMethod = PaymentMethod.ACCOUNT,
) -> Outcome[Payment]:
    return bank.banking.payments.pay(
        caller,
        key=key,
        payer_id=payer,
        merchant_id=merchant,
        money=Money(amount, "EUR"),
        method=method,
        card_token="tok_1" if method is PaymentMethod.CARD else None,
        reference="order 1",
    )


def shop(bank: Bank) -> str:
    return bank.account("shop", type_=AccountType.MERCHANT)


def test_a_payment_is_captured_and_moves_the_money(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10_000), shop(bank)
    outcome = pay(bank, payer, merchant, 4_000)
    assert outcome.created
    assert outcome.value.status is PaymentStatus.CAPTURED
    assert outcome.value.decline_reasons == ()
    assert (bank.balance(payer), bank.balance(merchant)) == (6_000, 4_000)
    assert bank.audit.actions() == [("payment.create", "success")]


def test_a_replayed_payment_is_the_same_payment(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10_000), shop(bank)
    first = pay(bank, payer, merchant, 4_000)
    again = pay(bank, payer, merchant, 4_000)
    assert (again.created, again.value.id) == (False, first.value.id)
    assert bank.balance(payer) == 6_000
    with pytest.raises(IdempotencyKeyReused):
        pay(bank, payer, merchant, 4_001)


def test_a_risky_payment_is_declined_with_reasons_and_moves_nothing(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10**8), shop(bank)
    # very high amount + first payment to this payee + card: 0.8 >= 0.7
    outcome = pay(bank, payer, merchant, 2_000_000, method=PaymentMethod.CARD)
    assert outcome.value.status is PaymentStatus.DECLINED
    assert outcome.value.decline_reasons == (
        "very_high_amount",
        "first_payment_to_payee",
        "card_not_present",
    )
    assert bank.balance(payer) == 10**8
    assert bank.audit.actions() == [("payment.declined", "declined")]
    replay = pay(bank, payer, merchant, 2_000_000, method=PaymentMethod.CARD)
    assert (replay.created, replay.value.status) == (False, PaymentStatus.DECLINED)


def test_velocity_counts_the_payers_recent_payments_only(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10**8), shop(bank)
    pay(bank, payer, merchant, 100, key="warm-up")  # the payee is known from now on
    for i in range(5):
        pay(bank, payer, merchant, 600_000, key=f"k{i}")  # high amount: 0.3
    risky = pay(bank, payer, merchant, 600_000, key="sixth")  # + velocity 0.4
    assert risky.value.decline_reasons == ("high_amount", "velocity")
    bank.clock.advance(seconds=601)
    assert pay(bank, payer, merchant, 600_000, key="later").value.status is PaymentStatus.CAPTURED


def test_declined_payments_count_and_only_the_newest_times_are_kept(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10**8), shop(bank)
    card = PaymentMethod.CARD  # 0.1, with a very high amount (0.6): each one declined
    for i in range(7):
        bank.clock.advance(seconds=1)
        declined = pay(bank, payer, merchant, 2_000_000, key=f"d{i}", method=card)
        assert declined.value.status is PaymentStatus.DECLINED
    remembered = bank.accounts.get("acme", payer).recent_payments
    assert len(remembered) == bank.banking.payments.fraud.velocity_limit == 5
    assert remembered == tuple(sorted(remembered))
    assert "velocity" in declined.value.decline_reasons  # the declined ones counted
    assert bank.balance(payer) == 10**8


def test_a_merchant_account_cannot_pay_itself(bank: Bank) -> None:
    merchant = bank.account("shop", 10_000, type_=AccountType.MERCHANT)
    with pytest.raises(SameAccount):
        pay(bank, merchant, merchant, 100, caller=SHOP)
    assert bank.balance(merchant) == 10_000


def test_a_payer_without_funds_is_refused(bank: Bank) -> None:
    with pytest.raises(InsufficientFunds):
        pay(bank, bank.account("alice", 10), shop(bank), 11)


@pytest.mark.parametrize(
    "merchant_type", [AccountType.CHECKING, AccountType.SAVINGS], ids=["checking", "savings"]
)
def test_only_a_merchant_account_can_be_paid(bank: Bank, merchant_type: AccountType) -> None:
    payee = bank.account("bob", type_=merchant_type)
    with pytest.raises(AccountNotFound):
        pay(bank, bank.account("alice", 100), payee, 10)


def mandate(bank: Bank, payer: str, merchant: str, max_amount: int) -> None:
    bank.banking.accounts.set_mandate(
        ALICE, payer, merchant, max_amount=max_amount, currency="EUR", active=True
    )


def test_a_merchant_pulls_what_the_payers_mandate_covers(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10_000), shop(bank)
    mandate(bank, payer, merchant, 5_000)
    assert pay(bank, payer, merchant, 5_000, caller=SHOP).created
    with pytest.raises(NotPermitted):
        pay(bank, payer, merchant, 5_001, caller=SHOP, key="p2")
    bank.banking.accounts.revoke_mandate(ALICE, payer, merchant)
    with pytest.raises(NotPermitted):
        pay(bank, payer, merchant, 100, caller=SHOP, key="p3")
    assert bank.balance(payer) == 5_000


def test_without_a_mandate_a_merchant_cannot_charge_a_stranger(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10_000), shop(bank)
    with pytest.raises(NotPermitted):
        pay(bank, payer, merchant, 100, caller=SHOP)
    with pytest.raises(AccountNotFound):  # not the merchant either: learns nothing
        pay(bank, payer, merchant, 100, caller=BOB)
    with pytest.raises(NotPermitted):  # to the merchant, no such payer reads as no mandate
        pay(bank, "acc_nosuch", merchant, 100, caller=SHOP, key="p4")
    with pytest.raises(AccountNotFound):
        pay(bank, "acc_nosuch", merchant, 100, caller=BOB, key="p5")


def test_refunds_add_up_to_the_capture_and_no_further(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10_000), shop(bank)
    payment = pay(bank, payer, merchant, 1_000).value
    payments = bank.banking.payments
    payments.refund(SHOP, payment.id, key="r1", amount=400, reason="")
    assert payments.get(ALICE, payment.id).status is PaymentStatus.PARTIALLY_REFUNDED
    replay = payments.refund(SHOP, payment.id, key="r1", amount=400, reason="")
    assert not replay.created
    with pytest.raises(RefundExceedsCapture):
        payments.refund(SHOP, payment.id, key="r2", amount=601, reason="")
    payments.refund(TELLER, payment.id, key="r3", amount=600, reason="")
    assert payments.get(ALICE, payment.id).status is PaymentStatus.REFUNDED
    assert (bank.balance(payer), bank.balance(merchant)) == (10_000, 0)
    # Nothing is left to refund, yet each key still answers what it made.
    assert not payments.refund(TELLER, payment.id, key="r3", amount=600, reason="").created
    assert not payments.refund(SHOP, payment.id, key="r1", amount=400, reason="").created
    assert (bank.balance(payer), bank.balance(merchant)) == (10_000, 0)


def test_refunds_are_for_the_merchant_or_staff_of_captured_payments(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10**8), shop(bank)
    payment = pay(bank, payer, merchant, 1_000).value
    payments = bank.banking.payments
    with pytest.raises(NotPermitted):
        payments.refund(ALICE, payment.id, key="r1", amount=1, reason="")
    with pytest.raises(PaymentNotFound):
        payments.refund(SHOP, "pay_unknown", key="r1", amount=1, reason="")
    declined = pay(bank, payer, merchant, 2_000_000, key="big", method=PaymentMethod.CARD)
    with pytest.raises(PaymentNotRefundable):
        payments.refund(SHOP, declined.value.id, key="r2", amount=1, reason="")


def test_a_payment_is_found_by_its_key_by_its_maker_only(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10_000), shop(bank)
    payment = pay(bank, payer, merchant, 100, key="order-7").value
    payments = bank.banking.payments
    assert payments.get_by_key(ALICE, "order-7").id == payment.id
    with pytest.raises(PaymentNotFound):
        payments.get_by_key(BOB, "order-7")
    with pytest.raises(PaymentNotFound):
        payments.get(Principal("mallory", "acme"), payment.id)
    assert ("payment.read", "success") in bank.audit.actions()


def test_each_payment_outcome_publishes_its_event_once_with_ids_and_amounts_only(
    bank: Bank,
) -> None:
    payer, merchant = bank.account("alice", 10_000), shop(bank)
    captured = pay(bank, payer, merchant, 4_000, key="order:ord_1").value
    pay(bank, payer, merchant, 4_000, key="order:ord_1")  # a replay publishes nothing
    declined = pay(bank, payer, merchant, 2_000_000, key="big", method=PaymentMethod.CARD).value
    with pytest.raises(InsufficientFunds):  # refused: nothing happened, nothing published
        pay(bank, payer, merchant, 9_000, key="too-much")
    refund = bank.banking.payments.refund(SHOP, captured.id, key="r1", amount=400, reason="")
    events = bank.outbox.published
    assert [(e.type, e.aggregate) for e in events] == [
        ("payment.captured", f"payment/{captured.id}"),
        ("payment.declined", f"payment/{declined.id}"),
        ("payment.refunded", f"payment/{captured.id}"),
    ]
    assert dict(events[0].payload) == {
        "payment_id": captured.id,
        "status": "captured",
        "amount": 4_000,
        "currency": "EUR",
        "payer_account_id": payer,
        "merchant_account_id": merchant,
        "key": "order:ord_1",
        "reasons": "",
    }
    assert events[1].payload["reasons"]  # the rules that declined it
    assert events[2].payload["refund_id"] == refund.value.id
    assert events[2].payload["amount"] == 400
    assert {e.source for e in events} == {"banking"}
    for event in events:
        assert_in_catalogue(event)


def test_a_key_that_could_carry_protected_data_does_not_travel(bank: Bank) -> None:
    payer, merchant = bank.account("alice", 10_000), shop(bank)
    pay(bank, payer, merchant, 100, key="alice@example.com")
    assert bank.outbox.published[0].payload["key"] is None
