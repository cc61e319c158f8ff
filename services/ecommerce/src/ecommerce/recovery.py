"""One recovery pass: ``python -m ecommerce.recovery`` from a command line or cron, or
``ecommerce.recovery.handler`` from a scheduled Lambda (the SAM template's OrderRecovery).

The command prints what it did as JSON and exits 0 when no order was left open, 3 when
some still are (banking still unreachable), so a scheduler can alert on repeated 3s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from typing import Any

from ecommerce.bootstrap import bootstrap


async def _pass() -> dict[str, Any]:
    shop = bootstrap()
    try:
        report = await shop.checkout.recover(limit=shop.settings.recovery_batch)
    finally:
        await shop.payments.aclose()
    return dataclasses.asdict(report)


def handler(event: object, context: object) -> dict[str, Any]:
    """Scheduled Lambda entry: one pass; the report is the invocation's result."""
    return asyncio.run(_pass())


def main() -> int:
    report = asyncio.run(_pass())
    print(json.dumps(report))
    return 3 if report["still_open"] else 0


if __name__ == "__main__":
    sys.exit(main())
