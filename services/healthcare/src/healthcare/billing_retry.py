"""One invoice retry pass: ``python -m healthcare.billing_retry`` from a command line or
cron, or ``healthcare.billing_retry.handler`` from a scheduled Lambda (the SAM template's
InvoiceRetry). The command prints a JSON report and exits 3 while invoices stay pending."""

from __future__ import annotations

import sys

from lift_core.tasks import OnePass

from healthcare.bootstrap import bootstrap
from healthcare.service.billing import RetryReport


async def _pass() -> RetryReport:
    clinic = bootstrap()
    try:
        return await clinic.billing.retry_pending(limit=clinic.settings.billing_retry_batch)
    finally:
        await clinic.payments.aclose()


job = OnePass(_pass, unfinished="still_pending")
handler = job.handler

if __name__ == "__main__":
    sys.exit(job.main())
