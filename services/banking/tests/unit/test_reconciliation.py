"""E-commerce's order events reconciled with banking's payments: every branch of
``Reconciliation.on_order`` through the consumer the estate runs, on fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from services.banking.tests.unit.conftest import TELLER, Bank
from services.banking.tests.unit.test_payments import pay, shop

from lift_core.events import DomainEvent

from banking.domain.accounts import AccountType
from banking.domain.payments import MerchantOrder, OrderStatus, Payment

pytestmark = pytest.mark.unit
ORDER = "ord_" + "1" * 32


def order_message(payment_id: str | None, status: str = "CONFIRMED", **payload: object) -> str:
    """What e-commerce's ``order.*`` event reaches banking's queue as."""
    event = DomainEvent(
        f"order.{status.lower()}",
        1,
        "acme",
        f"order/{ORDER}",
        {
            "order_id": ORDER,
            "status": status,
            "total": 2_500,
            "currency": "EUR",
            "payment_id": payment_id,
            "refund_id": None,
            "lines": 2,
            **payload,  # type: ignore[dict-item]
        },
        source="ecommerce",
    )
    return json.dumps({"detail-type": event.type, "detail": event.detail()})


def _store(bank: Bank) -> str:
    """The merchant account e-commerce's store is paid into: e-commerce owns it."""
    return bank.account("ecommerce", type_=AccountType.MERCHANT)


def _paid(bank: Bank, amount: int = 2_500) -> Payment:
    return pay(bank, bank.account("alice", 10_000), _store(bank), amount).value


def _order_of(bank: Bank, payment: Payment) -> MerchantOrder | None:
    return bank.banking.payments.get(TELLER, payment.id).order


async def _deliver(bank: Bank, message: str) -> bool:
    return await bank.banking.consumers[0].handle(message)


async def test_a_confirmed_order_reconciles_its_payment_once(bank: Bank) -> None:
    payment = _paid(bank)
    message = order_message(payment.id)
    assert await _deliver(bank, message) is True
    order = _order_of(bank, payment)
    assert order is not None
    assert (order.order_id, order.status, order.discrepancies) == (ORDER, OrderStatus.CONFIRMED, ())
    audited = [e for e in bank.audit.events if e.action == "payment.reconcile"]
    assert [(e.outcome, e.resource) for e in audited] == [("success", f"payment/{payment.id}")]
    assert await _deliver(bank, message) is False  # a duplicate: claimed already
    assert len([e for e in bank.audit.events if e.action == "payment.reconcile"]) == 1


@pytest.mark.parametrize(
    ("payload", "amount", "found"),
    [
        ({"total": 2_400}, 2_500, "the order totals 2400, the payment captured 2500"),
        ({"currency": "USD"}, 2_500, "the order is in USD, the payment in EUR"),
        ({"total": 9_000_000}, 9_000_000, "the payment was declined"),
    ],
    ids=["total", "currency", "declined"],
)
async def test_an_order_that_disagrees_with_its_payment_is_flagged(
    bank: Bank, payload: dict[str, Any], amount: int, found: str
) -> None:
    payment = pay(bank, bank.account("alice", 10_000_000), _store(bank), amount).value
    assert await _deliver(bank, order_message(payment.id, **payload)) is True
    order = _order_of(bank, payment)
    assert order is not None
    assert not order.reconciled
    assert found in order.discrepancies
    [audited] = [e for e in bank.audit.events if e.action == "payment.reconcile"]
    assert audited.outcome == "failure"


async def test_a_cancelled_order_reconciles_once_its_payment_is_refunded(bank: Bank) -> None:
    payment = _paid(bank)
    await _deliver(bank, order_message(payment.id))
    bank.banking.payments.refund(TELLER, payment.id, key="r1", amount=1_000, reason="cancel")
    assert await _deliver(bank, order_message(payment.id, "CANCELLED")) is True
    order = _order_of(bank, payment)
    assert order is not None
    assert order.status is OrderStatus.CANCELLED
    assert order.discrepancies == ("the order was cancelled, 1500 of the payment not refunded",)


async def test_a_cancellation_is_final_whatever_arrives_after_it(bank: Bank) -> None:
    payment = _paid(bank)
    bank.banking.payments.refund(TELLER, payment.id, key="r1", amount=2_500, reason="cancel")
    assert await _deliver(bank, order_message(payment.id, "CANCELLED")) is True
    # order.confirmed came first but is delivered late, under its own event id
    assert await _deliver(bank, order_message(payment.id, "CONFIRMED")) is False
    order = _order_of(bank, payment)
    assert order is not None
    assert (order.status, order.discrepancies) == (OrderStatus.CANCELLED, ())


@pytest.mark.parametrize(
    "payment_id", [None, "pay_unknown", "trf_" + "0" * 32], ids=["none", "unknown", "not-a-payment"]
)
async def test_an_order_without_a_payment_of_this_tenant_changes_nothing(
    bank: Bank, payment_id: str | None
) -> None:
    before = dict(bank.operations.items)
    assert await _deliver(bank, order_message(payment_id)) is False
    assert bank.operations.items == before
    assert not [e for e in bank.audit.events if e.action == "payment.reconcile"]


async def test_another_tenants_order_never_touches_this_tenants_payment(bank: Bank) -> None:
    payment = _paid(bank)
    message = json.loads(order_message(payment.id))
    message["detail"]["tenant"] = "globex"
    assert await _deliver(bank, json.dumps(message)) is False
    assert _order_of(bank, payment) is None


async def test_an_event_from_anyone_but_the_shop_is_refused(bank: Bank) -> None:
    payment = _paid(bank)
    message = json.loads(order_message(payment.id))
    message["detail"]["source"] = "healthcare"
    with pytest.raises(ValueError, match="healthcare"):
        await _deliver(bank, json.dumps(message))
    assert _order_of(bank, payment) is None


async def test_a_shop_reports_only_on_payments_into_its_own_merchant_account(bank: Bank) -> None:
    """Another merchant's payment, even of this tenant, is not the shop's to annotate."""
    payment = pay(bank, bank.account("alice", 10_000), shop(bank), 2_500).value  # "shop" owns it
    assert await _deliver(bank, order_message(payment.id)) is False
    assert _order_of(bank, payment) is None
    assert not [e for e in bank.audit.events if e.action == "payment.reconcile"]
