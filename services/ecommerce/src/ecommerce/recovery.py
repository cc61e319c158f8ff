"""One recovery pass from the command line or a scheduler: ``python -m ecommerce.recovery``.

Prints what it did as JSON and exits 0 when no order was left open, 3 when some still are
(banking still unreachable), so a scheduler can alert on repeated 3s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from ecommerce.config import EcommerceSettings
from ecommerce.main import create_ecommerce_app
from ecommerce.service.checkout import Checkout


async def _run() -> int:
    app = create_ecommerce_app()
    checkout: Checkout = app.state.checkout
    try:
        report = await checkout.recover(limit=EcommerceSettings().recovery_batch)
    finally:
        await checkout.payments.client.aclose()
    print(json.dumps(dataclasses.asdict(report)))
    return 3 if report.still_open else 0


def main() -> int:
    return asyncio.run(_run())


if __name__ == "__main__":
    sys.exit(main())
