"""Fifty customers race for the last ten units."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from lift_mesh import MeshSettings, ServiceClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]


# Fifty checkouts share one serialized emulator: late in a long suite (a CI run here, once)
# every one of them outlasted e-commerce's 10 s request timeout and answered 504, which says
# nothing about contention. The race gets a minute; what it asserts is unchanged.
@pytest.mark.parametrize("estate", [{"request_timeout_seconds": 60.0}], indirect=True)
async def test_fifty_customers_racing_for_ten_units_confirm_exactly_ten_orders(
    estate: Any,
) -> None:
    # This test is about contention in e-commerce, not about a slow banking: give calls
    # the default mesh timeouts rather than the fixture's tight ones.
    payments = estate.ecommerce.payments
    tight = payments.client
    payments.client = ServiceClient(
        "banking",
        settings=MeshSettings(services={"banking": ["http://banking"]}),
        http=httpx.AsyncClient(transport=estate.link),
    )
    try:
        await _race(estate)
    finally:
        await payments.client.aclose()
        payments.client = tight


async def _race(estate: Any) -> None:
    merchant = await estate.open_store()
    mug = await estate.product(price=1_000, quantity=10)
    # Setting the buyers up is not the race: eight at a time, so no set-up request queues
    # past banking's 10 s request timeout behind the other forty-nine (a 504 in CI).
    buyers: list[tuple[httpx.AsyncClient, str]] = []
    for first in range(0, 50, 8):
        batch = range(first, min(first + 8, 50))
        buyers += await asyncio.gather(
            *(estate.customer(f"racer-{i}", funds=10_000) for i in batch)
        )
    for shop, _ in buyers:
        added = await shop.post("/api/v1/cart/items", json={"product_id": mug, "quantity": 1})
        assert added.status_code == 201, added.text

    answers = await asyncio.gather(
        *(shop.post("/api/v1/cart/checkout", headers=estate.headers()) for shop, _ in buyers)
    )
    statuses = sorted(a.status_code for a in answers)
    # Ten get the stock. Under this load some payments may outlast the mesh's call
    # timeout (202, PAYMENT_PENDING): the recovery path finishes those.
    won = [a.json() for a in answers if a.status_code in (201, 202)]
    assert len(won) == 10, statuses
    assert statuses.count(409) == 40, statuses
    assert {a.json()["type"] for a in answers if a.status_code == 409} == {
        "urn:lift:problem:out-of-stock"
    }
    # Recovery passes, as the periodic task runs them: a payment banking is still working
    # on answers "in progress" and is looked at again on the next pass.
    for _ in range(20):
        report = await estate.ecommerce.checkout.recover()
        if report.still_open == 0:
            break
        await asyncio.sleep(0.5)
    assert report.still_open == 0
    admin = estate.shop("ada", roles=["admin"])
    confirmed = [(await admin.get(f"/api/v1/orders/{o['id']}")).json() for o in won]
    assert {o["status"] for o in confirmed} == {"CONFIRMED"}
    assert await estate.stock(mug) == (0, 0, 0)

    total = confirmed[0]["totals"]["total"]  # 10.00 + 2.00 tax + 5.00 shipping
    assert await estate.balance(merchant) == 10 * total
    balances = [await estate.balance(account) for _, account in buyers]
    assert sorted(balances) == [10_000 - total] * 10 + [10_000] * 40
    payments = {o["payment_id"] for o in confirmed}
    assert len(payments) == 10
