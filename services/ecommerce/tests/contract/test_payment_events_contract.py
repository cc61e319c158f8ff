"""What e-commerce reads of banking's payment events, as a message pact (tests/message_pacts.py),
through the reader its consumer uses (``charge_of``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.message_pacts import record_payment_pact

from ecommerce.service.order_events import charge_of

pytestmark = pytest.mark.integration


def test_ecommerce_reads_banking_payment_events_as_recorded(tmp_path: Path) -> None:
    record_payment_pact("ecommerce", "order:ord_1", charge_of, tmp_path)
