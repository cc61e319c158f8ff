"""Banking verifies every consumer's message pact (``contracts/pacts/*-banking-events.json``,
see tests/message_pacts.py): each ``payment.*`` message is the event banking's own use
cases publish (on fakes), checked by Pact against what the consumer reads. Renaming a
payload field, changing a type or dropping the key fails here."""

from __future__ import annotations

import pytest
from services.banking.tests.unit.conftest import make_bank
from services.banking.tests.unit.test_payments import pay
from tests.contracts import PACT_DIR
from tests.message_pacts import verify_provider

from lift_core.events import DomainEvent

from banking.domain.accounts import AccountType
from banking.domain.fraud import PaymentMethod

pytestmark = pytest.mark.integration

CONSUMERS = sorted(
    p.name.removesuffix("-banking-events.json") for p in PACT_DIR.glob("*-banking-events.json")
)


def _published() -> dict[str, DomainEvent]:
    """One captured and one declined payment, through banking's use cases."""
    bank = make_bank()
    payer = bank.account("alice", 5_000_000)
    merchant = bank.account("shop", type_=AccountType.MERCHANT)
    pay(bank, payer, merchant, 2_500, key="order:ord_1")
    pay(bank, payer, merchant, 2_000_000, key="inv_1", method=PaymentMethod.CARD)  # declined
    events = {e.type: e for e in bank.outbox.published}
    assert set(events) == {"payment.captured", "payment.declined"}
    return events


def test_consumers_have_message_pacts() -> None:
    assert CONSUMERS == ["ecommerce", "healthcare"]


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_banking_publishes_what_each_consumer_reads(consumer: str) -> None:
    events = _published()

    verify_provider("banking-events", PACT_DIR / f"{consumer}-banking-events.json", events)
