"""One recovery pass: ``python -m ecommerce.recovery`` from a command line or cron, or
``ecommerce.recovery.handler`` from a scheduled Lambda (the SAM template's OrderRecovery).

The command prints what it did as JSON and exits 0 when no order was left open, 3 when
some still are (banking still unreachable), so a scheduler can alert on repeated 3s.
"""

from __future__ import annotations

import sys

from lift_core.tasks import OnePass

from ecommerce.bootstrap import bootstrap
from ecommerce.service.checkout import RecoveryReport


async def _pass() -> RecoveryReport:
    shop = bootstrap()
    try:
        return await shop.checkout.recover(limit=shop.settings.recovery_batch)
    finally:
        await shop.payments.aclose()


job = OnePass(_pass, unfinished="still_open")
handler = job.handler

if __name__ == "__main__":
    sys.exit(job.main())
