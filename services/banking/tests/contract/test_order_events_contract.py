"""What banking reads of e-commerce's order events, as a message pact (tests/message_pacts.py),
through the reader its reconciliation consumer uses (``order_report``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.message_pacts import record_order_pact

from banking.service.reconciliation import order_report

pytestmark = pytest.mark.integration


def test_banking_reads_ecommerce_order_events_as_recorded(tmp_path: Path) -> None:
    record_order_pact("banking", order_report, tmp_path)
