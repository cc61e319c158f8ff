"""Carts, customers, the catalogue and the order state machine on in-memory fakes."""

from __future__ import annotations

import itertools

import pytest
from services.ecommerce.tests.unit.conftest import ADMIN, World, customer

from lift_core.protection import SubjectErased

from ecommerce.domain.carts import MAX_ITEMS, MAX_QUANTITY
from ecommerce.domain.catalog import ProductStatus
from ecommerce.domain.exceptions import (
    BankAccountNotFound,
    CartItemNotFound,
    ConcurrentUpdate,
    CustomerErased,
    CustomerNotFound,
    InvalidQuantity,
    InventoryBelowReserved,
    NotPermitted,
    ProductNotActive,
    ProductNotFound,
)
from ecommerce.domain.orders import OPEN, TRANSITIONS, Order, OrderStatus, Stock
from ecommerce.domain.pricing import Line, Totals

pytestmark = pytest.mark.unit
S = OrderStatus


def _order(status: OrderStatus) -> Order:
    return Order(
        "ord_1", "acme", "alice", status, (Line("prd_1", "S", "Mug", 100, 1),),
        Totals(100, 20, 500, 620), "EUR", "acc_a", "acc_m", "t0", "t0", "t1",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after"), list(itertools.product(OrderStatus, OrderStatus)), ids=str
)
def test_an_order_makes_exactly_the_transitions_of_the_table(
    before: OrderStatus, after: OrderStatus
) -> None:
    order = _order(before)
    if (before, after) not in TRANSITIONS:
        with pytest.raises(Exception, match="cannot go from"):
            order.to(after, at="t2")
        return
    moved = order.to(after, at="t2", reason="why")
    assert (moved.before, moved.after.status, moved.after.updated_at) == (before, after, "t2")
    assert moved.stock is TRANSITIONS[(before, after)]
    assert moved.after.is_open is (after in OPEN)
    assert order.status is before  # the entity is a value: the old one is unchanged


def test_stock_moves_only_where_units_change_hands() -> None:
    moves = {pair: stock for pair, stock in TRANSITIONS.items() if stock is not Stock.KEEP}
    assert moves == {
        (S.PENDING, S.PAYMENT_PENDING): Stock.RESERVE,
        (S.PAYMENT_PENDING, S.CONFIRMED): Stock.SELL,
        (S.PAYMENT_PENDING, S.PAYMENT_DECLINED): Stock.RELEASE,
        (S.PAYMENT_PENDING, S.REJECTED): Stock.RELEASE,
        (S.CANCELLING, S.CANCELLED): Stock.RESTOCK,
    }


# -- carts --------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
def test_a_cart_line_holds_one_to_the_maximum(world: World, quantity: int) -> None:
    mug = world.product(5)
    with pytest.raises(InvalidQuantity):
        world.shop.carts.add(customer("alice"), mug, quantity)
    world.shop.carts.add(customer("alice"), mug, 1)
    with pytest.raises(InvalidQuantity):
        world.shop.carts.update(customer("alice"), mug, quantity)


def test_adding_again_adds_up_within_the_maximum(world: World) -> None:
    mug, alice = world.product(5), customer("alice")
    world.shop.carts.add(alice, mug, MAX_QUANTITY - 1)
    cart, _ = world.shop.carts.add(alice, mug, 1)
    assert cart.items == {mug: MAX_QUANTITY}
    with pytest.raises(InvalidQuantity):
        world.shop.carts.add(alice, mug, 1)


def test_a_cart_holds_a_bounded_number_of_products(world: World) -> None:
    alice = customer("alice")
    for _ in range(MAX_ITEMS):
        world.shop.carts.add(alice, world.product(1), 1)
    with pytest.raises(InvalidQuantity, match="at most"):
        world.shop.carts.add(alice, world.product(1), 1)


def test_only_products_for_sale_go_in_a_cart(world: World) -> None:
    draft = world.product(5, status=ProductStatus.DRAFT)
    with pytest.raises(ProductNotActive):
        world.shop.carts.add(customer("alice"), draft, 1)
    with pytest.raises(ProductNotFound):
        world.shop.carts.add(customer("alice"), "prd_missing", 1)


def test_lines_not_in_the_cart_cannot_be_changed(world: World) -> None:
    with pytest.raises(CartItemNotFound):
        world.shop.carts.update(customer("alice"), "prd_0", 1)
    with pytest.raises(CartItemNotFound):
        world.shop.carts.remove(customer("alice"), "prd_0")


def test_a_stale_cart_is_not_saved_over_a_newer_one(world: World) -> None:
    mug, alice = world.product(5), customer("alice")
    stale, _ = world.shop.carts.add(alice, mug, 1)
    world.shop.carts.add(alice, mug, 1)
    with pytest.raises(ConcurrentUpdate):
        world.carts.save("acme", "alice", stale.added(mug, 1))


# -- customers ----------------------------------------------------------------------------


async def test_a_customer_registers_only_an_account_banking_says_they_hold(
    world: World,
) -> None:
    with pytest.raises(BankAccountNotFound):
        await world.shop.customers.register(
            customer("mallory"), customer_id=None, bank_account_id="acc_alice",
            name="M", email="m@example.com", address="x",
        )  # fmt: skip
    with pytest.raises(NotPermitted):
        await world.shop.customers.register(
            customer("mallory"), customer_id="alice", bank_account_id="acc_m",
            name="M", email="m@example.com", address="x",
        )  # fmt: skip
    admin_made = await world.shop.customers.register(
        ADMIN, customer_id="zoe", bank_account_id="acc_zoe",
        name="Zoe", email="z@example.com", address="z",
    )  # fmt: skip
    assert admin_made.id == "zoe"
    assert world.banking.calls == ["owns_account"]  # admins are not checked against banking


async def test_personal_data_is_sealed_at_rest_and_readable_by_its_owner(world: World) -> None:
    await world.buyer("alice")
    stored = world.shop.storage.customers.get("acme", "alice")
    assert "alice@example.com" not in str(stored)
    assert world.shop.customers.get(customer("alice"), "alice").email == "alice@example.com"
    with pytest.raises(CustomerNotFound):
        world.shop.customers.get(customer("mallory"), "alice")
    assert world.audit.actions()[-1] == ("customer.read", "denied")


async def test_export_holds_every_order_and_erasure_shreds_every_copy(world: World) -> None:
    alice = await world.buyer("alice", funds=10_000_000)
    mug = world.product(500)
    for n in range(120):  # more than one page of orders
        world.shop.carts.add(alice, mug, 1)
        await world.shop.checkout.checkout(alice, f"k{n}")
    held = world.shop.customers.export(alice, "alice")
    assert len({o.id for o in held.orders}) == 120
    assert held.customer.address == "alice street 1"
    sealed = held.orders[0].ship_to_sealed
    assert world.shop.customers.open_address("acme", "alice", sealed) == "alice street 1"

    world.shop.customers.erase(alice, "alice")
    world.shop.customers.erase(alice, "alice")  # idempotent
    with pytest.raises(CustomerErased):
        world.shop.customers.export(alice, "alice")
    assert world.shop.customers.open_address("acme", "alice", sealed) is None
    with pytest.raises(SubjectErased):
        world.shop.cipher.decrypt("acme", "alice", "email", "v1:AAAA")
    assert world.shop.storage.customers.get("acme", "alice").pii == {}


# -- catalogue ----------------------------------------------------------------------------


async def test_inventory_never_drops_below_what_open_orders_hold(world: World) -> None:
    mug = world.product(3)
    alice = await world.buyer("alice")
    world.shop.carts.add(alice, mug, 2)
    world.banking.mode = "down"
    await world.shop.checkout.checkout(alice, "k")
    with pytest.raises(InventoryBelowReserved):
        world.shop.catalog.set_inventory(ADMIN, mug, 1)
    assert world.shop.catalog.set_inventory(ADMIN, mug, 7).available == 5


def test_drafts_are_for_staff_and_only_admins_change_the_catalogue(world: World) -> None:
    draft = world.product(1, status=ProductStatus.DRAFT)
    assert world.shop.catalog.get(ADMIN, draft).id == draft
    with pytest.raises(ProductNotFound):
        world.shop.catalog.get(customer("alice"), draft)
    with pytest.raises(NotPermitted):
        world.shop.catalog.set_inventory(customer("alice"), draft, 5)
    listed, _ = world.shop.catalog.page(customer("alice"), category=None, limit=10, start=None)
    assert draft not in {p.id for p in listed}
