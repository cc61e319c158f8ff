"""One invoice retry pass from the command line or a scheduler:
``python -m healthcare.billing_retry``. Prints a JSON report; exits 3 while invoices stay
pending (banking still unreachable)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from healthcare.config import HealthcareSettings
from healthcare.main import create_healthcare_app
from healthcare.service.billing import Billing


async def _run() -> int:
    billing: Billing = create_healthcare_app().state.billing
    try:
        report = await billing.retry_pending(limit=HealthcareSettings().billing_retry_batch)
    finally:
        await billing.payments.client.aclose()
    print(json.dumps(dataclasses.asdict(report)))
    return 3 if report.still_pending else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_run()))
