"""Checkout through the real banking app: money and stock are conserved in every outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pynamodb.connection import Connection

from lift_core.clock import utc_now

from ecommerce.service.checkout import Checkout

pytestmark = pytest.mark.integration


async def _cart(shop: Any, product: str, quantity: int) -> None:
    added = await shop.post(
        "/api/v1/cart/items", json={"product_id": product, "quantity": quantity}
    )
    assert added.status_code == 201, added.text


async def test_checkout_prices_on_the_server_charges_once_and_sells_the_stock(
    estate: Any,
) -> None:
    merchant = await estate.open_store()
    mug = await estate.product(price=1_999, quantity=5)
    shop, account = await estate.customer("alice", funds=50_000)
    await _cart(shop, mug, 2)

    key = estate.headers()
    first = await shop.post("/api/v1/cart/checkout", headers=key)
    assert first.status_code == 201, first.text
    order = first.json()
    # 2 x 19.99 = 39.98; 20 % tax = 7.996 -> 8.00 (half up); shipping 5.00 under 100.00
    assert order["totals"] == {"subtotal": 3_998, "tax": 800, "shipping": 500, "total": 5_298}
    assert order["status"] == "CONFIRMED"
    assert order["ship_to"] == "alice street 1"
    assert await estate.balance(account) == 50_000 - 5_298
    assert await estate.balance(merchant) == 5_298
    assert await estate.stock(mug) == (3, 0, 3)
    assert (await shop.get("/api/v1/cart")).json()["items"] == []

    again = await shop.post("/api/v1/cart/checkout", headers=key)
    assert again.status_code == 200  # the order as it is now, found by its key
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == order["id"]
    assert await estate.balance(account) == 50_000 - 5_298
    payment = await estate.bank("alice").get(f"/api/v1/payments/{order['payment_id']}")
    assert payment.json()["amount"] == 5_298


@pytest.mark.parametrize(
    ("funds", "mandate", "reason"),
    [(1_000, 1_000_000, "insufficient-funds"), (50_000, 0, "not-permitted")],
)
async def test_a_refused_payment_declines_the_order_and_releases_the_stock(
    estate: Any, funds: int, mandate: int, reason: str
) -> None:
    await estate.open_store()
    mug = await estate.product(price=2_000, quantity=3)
    shop, account = await estate.customer("bob", funds=funds, mandate=mandate)
    await _cart(shop, mug, 3)
    response = await shop.post("/api/v1/cart/checkout", headers=estate.headers())
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "PAYMENT_DECLINED"
    assert response.json()["reason"] == reason
    assert await estate.balance(account) == funds
    assert await estate.stock(mug) == (3, 0, 3)
    assert len((await shop.get("/api/v1/cart")).json()["items"]) == 1  # kept to try again


async def test_a_fraud_decline_in_banking_declines_the_order(estate: Any) -> None:
    await estate.open_store()
    # Over banking's very-high-amount rule (2,000,000) with a first-time payee.
    tv = await estate.product(price=2_500_000, quantity=1)
    shop, account = await estate.customer("carol", funds=5_000_000, mandate=5_000_000)
    await _cart(shop, tv, 1)
    response = await shop.post("/api/v1/cart/checkout", headers=estate.headers())
    assert response.json()["status"] == "PAYMENT_DECLINED", response.text
    assert "very_high_amount" in response.json()["reason"] or response.json()["reason"]
    assert await estate.balance(account) == 5_000_000
    assert await estate.stock(tv) == (1, 0, 1)


@pytest.mark.parametrize("failure", ["down", "slow", "lose_response"])
async def test_banking_failing_leaves_the_order_pending_and_recovery_completes_it_once(
    estate: Any, failure: str
) -> None:
    merchant = await estate.open_store()
    mug = await estate.product(price=1_000, quantity=4)
    shop, account = await estate.customer("dave", funds=20_000)
    await _cart(shop, mug, 2)

    estate.link.mode = failure
    key = estate.headers()
    pending = await shop.post("/api/v1/cart/checkout", headers=key)
    assert pending.status_code == 202, pending.text
    order = pending.json()
    assert order["status"] == "PAYMENT_PENDING"
    assert await estate.stock(mug) == (4, 2, 2)  # held, not sold, not lost
    charged = 20_000 - await estate.balance(account)
    # "lose_response": banking took the money and the answer was lost on the way back.
    assert charged == (order["totals"]["total"] if failure == "lose_response" else 0)

    checkout: Checkout = estate.ecommerce.checkout
    still_down = await checkout.recover()
    if failure == "lose_response":
        # Looking up is safe even on a lossy link... but the charge call loses its answer
        # again; the order stays open until the link is healthy.
        assert still_down.still_open == 1
    estate.link.mode = "up"
    report = await checkout.recover()
    assert report.finished == {"CONFIRMED": 1}
    assert report.still_open == 0

    final = (await shop.get(f"/api/v1/orders/{order['id']}")).json()
    assert final["status"] == "CONFIRMED"
    assert await estate.balance(account) == 20_000 - order["totals"]["total"]
    assert await estate.balance(merchant) == order["totals"]["total"]
    assert await estate.stock(mug) == (2, 0, 2)
    assert (await checkout.recover()).examined == 0  # nothing left to do
    # The key answers the order as it is now, not the 202 it first got.
    replay = await shop.post("/api/v1/cart/checkout", headers=key)
    assert (replay.status_code, replay.json()["status"]) == (200, "CONFIRMED")


async def test_an_expired_reservation_with_no_payment_gives_the_stock_back(
    estate: Any,
) -> None:
    await estate.open_store()
    mug = await estate.product(price=1_000, quantity=2)
    shop, account = await estate.customer("erin", funds=20_000)
    await _cart(shop, mug, 2)
    estate.link.mode = "down"
    order = (await shop.post("/api/v1/cart/checkout", headers=estate.headers())).json()
    estate.link.mode = "up"

    checkout: Checkout = estate.ecommerce.checkout
    later = utc_now() + timedelta(seconds=checkout.reservation.total_seconds() + 1)
    checkout.clock = lambda: later
    sent_before = len(estate.link.requests)
    report = await checkout.recover()
    assert report.finished == {"REJECTED": 1}
    final = (await shop.get(f"/api/v1/orders/{order['id']}")).json()
    assert (final["status"], final["reason"]) == ("REJECTED", "reservation expired")
    assert await estate.balance(account) == 20_000
    assert await estate.stock(mug) == (2, 0, 2)
    # Expired orders are only looked up, never charged late.
    assert estate.link.requests[sent_before:] == ["GET /api/v1/payments"]


async def test_cancel_refunds_through_banking_and_restocks_and_shipping_forbids_it(
    estate: Any,
) -> None:
    merchant = await estate.open_store()
    mug = await estate.product(price=3_000, quantity=3)
    shop, account = await estate.customer("fay", funds=40_000)
    admin = estate.shop("ada", roles=["admin"])

    await _cart(shop, mug, 1)
    first = (await shop.post("/api/v1/cart/checkout", headers=estate.headers())).json()
    await _cart(shop, mug, 1)
    second = (await shop.post("/api/v1/cart/checkout", headers=estate.headers())).json()
    assert await estate.stock(mug) == (1, 0, 1)

    estate.link.mode = "down"
    stuck = await shop.post(f"/api/v1/orders/{first['id']}/cancel")
    assert stuck.status_code == 503
    assert (await shop.get(f"/api/v1/orders/{first['id']}")).json()["status"] == "CANCELLING"
    shipped = await admin.put(f"/api/v1/orders/{first['id']}/status", json={"status": "SHIPPED"})
    assert shipped.status_code == 409  # a cancellation under way blocks shipping
    estate.link.mode = "up"
    report = await estate.ecommerce.checkout.recover()
    assert report.finished == {"CANCELLED": 1}
    cancelled = (await shop.get(f"/api/v1/orders/{first['id']}")).json()
    assert cancelled["refund_id"]

    ok = await admin.put(f"/api/v1/orders/{second['id']}/status", json={"status": "SHIPPED"})
    assert ok.status_code == 200, ok.text
    late = await shop.post(f"/api/v1/orders/{second['id']}/cancel")
    assert late.status_code == 409
    assert late.json()["type"] == "urn:lift:problem:invalid-transition"
    back = await admin.put(f"/api/v1/orders/{second['id']}/status", json={"status": "CONFIRMED"})
    assert back.status_code == 409
    done = await admin.put(f"/api/v1/orders/{second['id']}/status", json={"status": "DELIVERED"})
    assert done.json()["status"] == "DELIVERED"

    total = first["totals"]["total"]
    assert await estate.balance(account) == 40_000 - second["totals"]["total"]
    assert await estate.balance(merchant) == second["totals"]["total"]
    assert await estate.stock(mug) == (2, 0, 2)
    assert total > 0


class ConflictingConnection(Connection):
    """A DynamoDB connection whose next ``n`` transactions collide with another one
    (TransactionConflict), as concurrent checkouts of one product do on DynamoDB."""

    def __init__(self, host: str, conflicts: int) -> None:
        super().__init__(region="us-east-1", host=host)
        self.conflicts = conflicts

    def transact_write_items(self, *args: Any, **kwargs: Any) -> Any:
        if self.conflicts > 0:
            from pynamodb.exceptions import (
                CancellationReason,
                TransactWriteError,
                VerboseClientError,
            )

            self.conflicts -= 1
            cause = VerboseClientError(
                {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                "TransactWriteItems",
                cancellation_reasons=[CancellationReason(code="TransactionConflict"), None],
            )
            raise TransactWriteError("Failed to write transaction items", cause=cause)
        return super().transact_write_items(*args, **kwargs)


@pytest.mark.parametrize(("conflicts", "reserved"), [(3, True), (6, False)])
async def test_a_reservation_that_collides_is_retried_then_refused_as_a_conflict(
    estate: Any, dynamodb_endpoint: str, conflicts: int, reserved: bool
) -> None:
    from ecommerce.adapters.orders import DynamoOrders
    from ecommerce.domain.exceptions import ConcurrentUpdate
    from ecommerce.domain.orders import Order, OrderStatus
    from ecommerce.domain.pricing import Line, Totals

    await estate.open_store()
    mug = await estate.product(price=1_000, quantity=5)
    orders = estate.ecommerce.storage.orders
    flaky = DynamoOrders(
        orders.model, orders.products, ConflictingConnection(dynamodb_endpoint, conflicts)
    )
    order = Order(
        id=f"ord_{conflicts}x",
        tenant_id="acme",
        customer_id="c",
        status=OrderStatus.PENDING,
        lines=(Line(mug, "SKU", "Mug", 1_000, 2),),
        totals=Totals(2_000, 400, 500, 2_900),
        currency="EUR",
        payer_account_id="a",
        merchant_account_id="m",
        created_at="2026-01-01T00:00:00+00:00",
        updated_at="2026-01-01T00:00:00+00:00",
        reserve_until="2026-01-01T00:15:00+00:00",
    )
    assert orders.add(order)
    reserve = order.to(OrderStatus.PAYMENT_PENDING, at="2026-01-01T00:00:01+00:00")
    if reserved:
        flaky.apply(reserve)
        assert await estate.stock(mug) == (5, 2, 3)
        assert orders.find("acme", order.id).status is OrderStatus.PAYMENT_PENDING
    else:
        with pytest.raises(ConcurrentUpdate):
            flaky.apply(reserve)
        assert await estate.stock(mug) == (5, 0, 5)
