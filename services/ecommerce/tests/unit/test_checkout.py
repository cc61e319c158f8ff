"""The checkout saga, cancellation and recovery on in-memory fakes: every branch, no I/O.

Money and stock are checked in every outcome: a payer is charged at most once, and every
unit is on the shelf, held by an open order, or sold.
"""

from __future__ import annotations

from typing import Any

import pytest
from services.ecommerce.tests.unit.conftest import (
    ADMIN,
    MIN_AGE_SECONDS,
    RESERVATION_SECONDS,
    World,
    customer,
)

from lift_core.clock import iso

from ecommerce.domain.catalog import ProductStatus
from ecommerce.domain.exceptions import (
    CurrencyMismatch,
    CustomerNotFound,
    EmptyCart,
    InvalidTransition,
    OrderNotFound,
    OutOfStock,
    PaymentServiceUnavailable,
    ProductNotActive,
    StoreNotConfigured,
)
from ecommerce.domain.orders import Order, OrderStatus
from ecommerce.service.checkout import order_id

pytestmark = pytest.mark.unit

PRICE = 1_000
TOTAL = 2 * PRICE + 400 + 500  # 20 % tax, shipping below the free-shipping threshold


async def _ordered(
    world: World, subject: str = "alice", *, funds: int = 100_000, mandate: bool = True
) -> tuple[str, str]:
    """A buyer with two mugs in the cart; (product id, payer account)."""
    mug = world.product(5, price=PRICE)
    who = await world.buyer(subject, funds=funds, mandate=mandate)
    world.shop.carts.add(who, mug, 2)
    return mug, f"acc_{subject}"


async def _checkout(world: World, subject: str = "alice", key: str = "k1") -> Order:
    order, _ = await world.shop.checkout.checkout(customer(subject), key)
    return order


async def test_a_captured_payment_confirms_sells_the_stock_and_empties_the_cart(
    world: World,
) -> None:
    mug, payer = await _ordered(world)
    before = len(world.audit.actions())
    order, created = await world.shop.checkout.checkout(customer("alice"), "k1")
    assert created
    assert (order.status, order.totals.total) == (OrderStatus.CONFIRMED, TOTAL)
    assert order.payment_id is not None
    assert order == world.stored(order)  # what the saga answers is what is stored
    assert world.stock(mug) == (3, 0, 3)
    assert world.banking.balances[payer] == 100_000 - TOTAL
    assert world.carts.get("acme", "alice").items == {}
    assert world.banking.payments.keys() == {f"order:{order.id}"}
    assert world.audit.actions()[before:] == [  # the order's own events, no customer.read
        ("order.checkout", "success"),
        ("order.confirm", "success"),
    ]


async def test_the_same_key_answers_the_same_order_and_charges_once(world: World) -> None:
    _, payer = await _ordered(world)
    first = await _checkout(world)
    again, created = await world.shop.checkout.checkout(customer("alice"), "k1")
    assert (again, created) == (first, False)
    assert world.banking.calls == ["charge"]
    assert world.banking.balances[payer] == 100_000 - TOTAL


def test_order_ids_derive_from_tenant_customer_and_key() -> None:
    assert order_id("acme", "alice", "k") == order_id("acme", "alice", "k")
    others = {order_id("globex", "alice", "k"), order_id("acme", "bob", "k")}
    assert order_id("acme", "alice", "k") not in others | {order_id("acme", "alice", "k2")}


@pytest.mark.parametrize(
    ("buyer", "reason"),
    [
        ({"funds": 100}, "insufficient-funds"),
        ({"mandate": False}, "no-mandate"),
    ],
    ids=["no-funds", "no-mandate"],
)
async def test_a_refused_payment_declines_the_order_and_releases_the_stock(
    world: World, buyer: dict[str, Any], reason: str
) -> None:
    mug, payer = await _ordered(world, **buyer)
    order = await _checkout(world)
    assert (order.status, order.reason) == (OrderStatus.PAYMENT_DECLINED, reason)
    assert world.stock(mug) == (5, 0, 5)
    assert world.carts.get("acme", "alice").items == {mug: 2}  # the customer keeps the cart
    assert world.banking.balances[payer] == buyer.get("funds", 100_000)
    assert ("order.decline", "failure") in world.audit.actions()


async def test_a_payment_banking_declines_declines_the_order(world: World) -> None:
    mug, payer = await _ordered(world)
    world.banking.decline.add(payer)
    order = await _checkout(world)
    assert (order.status, order.reason) == (OrderStatus.PAYMENT_DECLINED, "velocity")
    assert world.stock(mug) == (5, 0, 5)
    assert world.banking.balances[payer] == 100_000


@pytest.mark.parametrize("mode", ["down", "lose"])
async def test_no_answer_from_banking_keeps_the_order_pending_and_recovery_confirms_it(
    world: World, mode: str
) -> None:
    mug, payer = await _ordered(world)
    world.banking.mode = mode
    order = await _checkout(world)
    assert order.status is OrderStatus.PAYMENT_PENDING
    assert world.stock(mug) == (5, 2, 3)  # held, not sold, not lost
    charged = 100_000 - world.banking.balances[payer]
    assert charged == (TOTAL if mode == "lose" else 0)

    world.clock.advance(seconds=MIN_AGE_SECONDS + 1)
    assert (await world.shop.checkout.recover()).still_open == 1  # banking still silent
    world.banking.mode = "up"
    report = await world.shop.checkout.recover()
    assert (report.examined, report.finished, report.still_open) == (1, {"CONFIRMED": 1}, 0)
    assert world.stored(order).status is OrderStatus.CONFIRMED
    assert world.banking.balances[payer] == 100_000 - TOTAL  # once, whatever happened
    assert world.stock(mug) == (3, 0, 3)
    assert (await world.shop.checkout.recover()).examined == 0


async def test_out_of_stock_rejects_the_order_and_holds_nothing(world: World) -> None:
    mug = world.product(1)
    who = await world.buyer("alice")
    world.shop.carts.add(who, mug, 1)
    world.shop.catalog.set_inventory(ADMIN, mug, 0)
    with pytest.raises(OutOfStock):
        await _checkout(world)
    stored = world.stored(next(iter(world.orders.items.values())))
    assert (stored.status, stored.reason) == (OrderStatus.REJECTED, "not enough SKU-0 in stock")
    assert world.stock(mug) == (0, 0, 0)
    assert world.banking.calls == []


async def test_checkout_refuses_what_cannot_be_ordered(world: World) -> None:
    who = await world.buyer("alice")
    with pytest.raises(EmptyCart):
        await _checkout(world)
    draft = world.product(5, status=ProductStatus.ACTIVE)
    world.shop.carts.add(who, draft, 1)
    product = world.products.get("acme", draft)
    world.shop.catalog.update(
        ADMIN, draft, name=None, description=None, category=None, price=None,
        status=ProductStatus.ARCHIVED,
    )  # fmt: skip
    with pytest.raises(ProductNotActive):
        await _checkout(world, key="k2")
    assert product.status is ProductStatus.ACTIVE
    with pytest.raises(CustomerNotFound):
        await _checkout(world, subject="stranger")
    assert world.orders.items == {}


async def test_a_product_priced_in_another_currency_cannot_be_checked_out(world: World) -> None:
    usd = world.product(5, currency="USD")
    who = await world.buyer("alice")
    world.shop.carts.add(who, usd, 1)
    with pytest.raises(CurrencyMismatch):
        await _checkout(world)


async def test_a_store_not_configured_sells_nothing(world: World) -> None:
    await _ordered(world)
    world.shop.storage.stores.items.clear()  # type: ignore[attr-defined]
    with pytest.raises(StoreNotConfigured):
        await _checkout(world)


async def test_a_payment_whose_order_moved_meanwhile_is_refunded(world: World) -> None:
    """Recovery released the reservation while banking was still answering the charge."""
    mug, payer = await _ordered(world)

    def recovery_released_it() -> None:
        (order,) = world.orders.items.values()
        world.orders.apply(order.to(OrderStatus.REJECTED, at="later", reason="expired"))

    world.banking.after_charge = recovery_released_it
    order = await _checkout(world)
    assert order.status is OrderStatus.REJECTED
    assert world.banking.balances[payer] == 100_000  # charged, then refunded
    assert len(world.banking.refunds) == 1
    assert ("order.refund-unconfirmed", "success") in world.audit.actions()
    assert world.stock(mug) == (5, 0, 5)


# -- cancellation -------------------------------------------------------------------------


async def test_cancel_refunds_restocks_and_is_final(world: World) -> None:
    mug, payer = await _ordered(world)
    order = await _checkout(world)
    cancelled = await world.shop.checkout.cancel(customer("alice"), order.id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.refund_id == world.banking.refunds[f"order-refund:{order.id}"]
    assert world.banking.balances[payer] == 100_000
    assert world.stock(mug) == (5, 0, 5)
    with pytest.raises(InvalidTransition):
        await world.shop.checkout.cancel(customer("alice"), order.id)


async def test_a_cancel_banking_cannot_answer_completes_through_recovery(world: World) -> None:
    mug, payer = await _ordered(world)
    order = await _checkout(world)
    world.banking.mode = "down"
    with pytest.raises(PaymentServiceUnavailable):
        await world.shop.checkout.cancel(customer("alice"), order.id)
    assert world.stored(order).status is OrderStatus.CANCELLING
    with pytest.raises(InvalidTransition):  # a cancellation under way blocks shipping
        world.shop.orders.set_status(ADMIN, order.id, OrderStatus.SHIPPED)
    world.banking.mode = "up"
    world.clock.advance(seconds=MIN_AGE_SECONDS + 1)
    assert (await world.shop.checkout.recover()).finished == {"CANCELLED": 1}
    assert world.banking.balances[payer] == 100_000
    assert world.stock(mug) == (5, 0, 5)


async def test_only_the_buyer_or_an_admin_cancels_and_only_before_shipping(world: World) -> None:
    await _ordered(world)
    order = await _checkout(world)
    with pytest.raises(OrderNotFound):
        await world.shop.checkout.cancel(customer("mallory"), order.id)
    world.shop.orders.set_status(ADMIN, order.id, OrderStatus.SHIPPED)
    with pytest.raises(InvalidTransition):
        await world.shop.checkout.cancel(ADMIN, order.id)
    assert world.banking.refunds == {}


# -- recovery -----------------------------------------------------------------------------


async def test_recovery_leaves_young_orders_to_their_checkout(world: World) -> None:
    await _ordered(world)
    world.banking.mode = "down"
    await _checkout(world)
    world.banking.mode = "up"
    assert (await world.shop.checkout.recover()).examined == 0
    world.clock.advance(seconds=MIN_AGE_SECONDS + 1)
    assert (await world.shop.checkout.recover()).finished == {"CONFIRMED": 1}


async def test_recovery_rejects_an_abandoned_checkout(world: World) -> None:
    """The process died after writing the order, before reserving anything."""
    mug, _ = await _ordered(world)
    order, _ = world.shop.checkout._draft(customer("alice"), order_id("acme", "alice", "k"))
    world.orders.add(order)
    world.clock.advance(seconds=MIN_AGE_SECONDS + 1)
    assert (await world.shop.checkout.recover()).finished == {"REJECTED": 1}
    assert (world.stored(order).status, world.stored(order).reason) == (
        OrderStatus.REJECTED,
        "checkout abandoned",
    )
    assert world.stock(mug) == (5, 0, 5)
    assert world.banking.calls == []


@pytest.mark.parametrize("charged", [False, True], ids=["never-charged", "charge-landed"])
async def test_an_expired_reservation_is_only_looked_up_never_charged_late(
    world: World, charged: bool
) -> None:
    mug, payer = await _ordered(world)
    world.banking.mode = "lose" if charged else "down"
    order = await _checkout(world)
    world.banking.mode = "up"
    world.banking.calls.clear()
    world.clock.advance(seconds=RESERVATION_SECONDS + 1)
    report = await world.shop.checkout.recover()
    assert world.banking.calls == ["find"]
    if charged:  # banking took it before the answer was lost: the sale stands
        assert report.finished == {"CONFIRMED": 1}
        assert world.stock(mug) == (3, 0, 3)
        assert world.banking.balances[payer] == 100_000 - TOTAL
    else:
        assert report.finished == {"REJECTED": 1}
        assert world.stored(order).reason == "reservation expired"
        assert world.stock(mug) == (5, 0, 5)
        assert world.banking.balances[payer] == 100_000


async def test_recovery_audits_as_itself(world: World) -> None:
    await _ordered(world)
    world.banking.mode = "down"
    order = await _checkout(world)
    world.banking.mode = "up"
    world.clock.advance(seconds=MIN_AGE_SECONDS + 1)
    await world.shop.checkout.recover()
    confirm = world.audit.events[-1]
    assert (confirm.action, confirm.resource) == ("order.confirm", f"order/{order.id}")
    assert (confirm.actor, confirm.tenant) == ("ecommerce-recovery", "acme")
    assert iso(world.clock()) == world.stored(order).updated_at
