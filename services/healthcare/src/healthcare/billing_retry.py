"""One invoice retry pass: ``python -m healthcare.billing_retry`` from a command line or
cron, or ``healthcare.billing_retry.handler`` from a scheduled Lambda (the SAM template's
InvoiceRetry). The command prints a JSON report and exits 3 while invoices stay pending."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from typing import Any

from healthcare.bootstrap import bootstrap


async def _pass() -> dict[str, Any]:
    clinic = bootstrap()
    try:
        report = await clinic.billing.retry_pending(limit=clinic.settings.billing_retry_batch)
    finally:
        await clinic.payments.aclose()
    return dataclasses.asdict(report)


def handler(event: object, context: object) -> dict[str, Any]:
    """Scheduled Lambda entry: one pass; the report is the invocation's result."""
    return asyncio.run(_pass())


def main() -> int:
    report = asyncio.run(_pass())
    print(json.dumps(report))
    return 3 if report["still_pending"] else 0


if __name__ == "__main__":
    sys.exit(main())
