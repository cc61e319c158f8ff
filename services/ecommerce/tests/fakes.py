"""In-memory implementations of e-commerce's ports, for use-case unit tests.

They keep the contracts the adapters keep (the integration suites prove those on the
emulator and against the real banking app): ``get`` raises, ``find`` returns None, a cart
save fails when its version moved, and an order transition applies its stock moves and the
status change together, only if the order is still in the status it was read in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TypeVar

from lift_core.audit import Staged

from ecommerce.domain.carts import Cart
from ecommerce.domain.catalog import Product, ProductStatus
from ecommerce.domain.customers import CustomerRecord
from ecommerce.domain.exceptions import (
    ConcurrentUpdate,
    CustomerExists,
    CustomerNotFound,
    InvalidTransition,
    InventoryBelowReserved,
    OutOfStock,
    ProductNotFound,
    SkuTaken,
)
from ecommerce.domain.orders import Order, Stock, Transition
from ecommerce.domain.payments import Charge, Payment, PaymentRefused, PaymentUnknown
from ecommerce.domain.pricing import StorePolicy
from ecommerce.service.ports import Basket, Position

T = TypeVar("T")


def _page(items: list[T], limit: int, start: Position) -> tuple[list[T], Position]:
    offset = int((start or {}).get("offset", 0))
    end = offset + limit
    return items[offset:end], ({"offset": end} if end < len(items) else None)


class InMemoryStores:
    def __init__(self) -> None:
        self.items: dict[str, StorePolicy] = {}

    def find(self, tenant_id: str) -> StorePolicy | None:
        return self.items.get(tenant_id)

    def save(self, policy: StorePolicy) -> None:
        self.items[policy.tenant_id] = policy


class InMemoryProducts:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Product] = {}

    def add(self, product: Product) -> None:
        claimed = {(p.tenant_id, p.sku) for p in self.items.values()}
        if (product.tenant_id, product.sku) in claimed:
            raise SkuTaken(product.sku)
        self.items[(product.tenant_id, product.id)] = product

    def get(self, tenant_id: str, product_id: str) -> Product:
        try:
            return self.items[(tenant_id, product_id)]
        except KeyError:
            raise ProductNotFound(product_id) from None

    def get_many(self, tenant_id: str, product_ids: Sequence[str]) -> dict[str, Product]:
        return {i: self.items[(tenant_id, i)] for i in product_ids if (tenant_id, i) in self.items}

    def page(
        self, tenant_id: str, *, category: str | None, limit: int, start: Position
    ) -> tuple[list[Product], Position]:
        mine = [
            p
            for (t, _), p in sorted(self.items.items())
            if t == tenant_id and category in (None, p.category)
        ]
        return _page(mine, limit, start)

    def search(
        self, tenant_id: str, needle: str, *, limit: int, start: Position
    ) -> tuple[list[Product], Position]:
        hits = [
            p
            for (t, _), p in sorted(self.items.items())
            if t == tenant_id
            and p.status is ProductStatus.ACTIVE
            and needle.lower() in f"{p.name} {p.sku} {p.description}".lower()
        ]
        return _page(hits, limit, start)

    def update(self, product: Product) -> None:
        current = self.get(product.tenant_id, product.id)
        if (current.quantity, current.reserved) != (product.quantity, product.reserved):
            raise ConcurrentUpdate("the product changed meanwhile; read it again")
        self.items[(product.tenant_id, product.id)] = product

    def set_inventory(self, tenant_id: str, product_id: str, quantity: int) -> Product:
        current = self.get(tenant_id, product_id)
        if quantity < current.reserved:
            raise InventoryBelowReserved(f"{current.reserved} units are reserved")
        updated = dataclasses.replace(
            current, quantity=quantity, available=quantity - current.reserved
        )
        self.items[(tenant_id, product_id)] = updated
        return updated

    def move(self, tenant_id: str, product_id: str, **delta: int) -> None:
        p = self.get(tenant_id, product_id)
        self.items[(tenant_id, product_id)] = dataclasses.replace(
            p, **{name: getattr(p, name) + n for name, n in delta.items()}
        )


class InMemoryCustomers:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], CustomerRecord] = {}

    def add(self, record: CustomerRecord) -> None:
        key = (record.tenant_id, record.customer_id)
        if key in self.items:
            raise CustomerExists(record.customer_id)
        self.items[key] = record

    def get(self, tenant_id: str, customer_id: str) -> CustomerRecord:
        try:
            return self.items[(tenant_id, customer_id)]
        except KeyError:
            raise CustomerNotFound(customer_id) from None

    def mark_erased(self, tenant_id: str, customer_id: str, at: str) -> None:
        record = self.get(tenant_id, customer_id)
        self.items[(tenant_id, customer_id)] = dataclasses.replace(record, pii={}, erased_at=at)


class InMemoryCarts:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Cart] = {}

    def get(self, tenant_id: str, customer_id: str) -> Cart:
        return self.items.get((tenant_id, customer_id), Cart())

    def save(self, tenant_id: str, customer_id: str, cart: Cart) -> Cart:
        if cart.version != self.get(tenant_id, customer_id).version:
            raise ConcurrentUpdate("the cart changed meanwhile; read it again")
        saved = Cart(cart.items, (cart.version or 0) + 1)
        self.items[(tenant_id, customer_id)] = saved
        return saved

    def clear(self, tenant_id: str, customer_id: str, version: int | None) -> None:
        if version is not None and self.get(tenant_id, customer_id).version == version:
            del self.items[(tenant_id, customer_id)]


# What each stock move does to (quantity, reserved, available) per unit.
_MOVES = {
    Stock.RESERVE: {"reserved": 1, "available": -1},
    Stock.SELL: {"quantity": -1, "reserved": -1},
    Stock.RELEASE: {"reserved": -1, "available": 1},
    Stock.RESTOCK: {"quantity": 1, "available": 1},
}


class InMemoryBaskets:
    def __init__(
        self,
        stores: InMemoryStores,
        customers: InMemoryCustomers,
        carts: InMemoryCarts,
        products: InMemoryProducts,
    ) -> None:
        self.stores, self.customers, self.carts = stores, customers, carts
        self.products = products

    def cart_and_product(
        self, tenant_id: str, customer_id: str, product_id: str
    ) -> tuple[Cart, Product | None]:
        product = self.products.items.get((tenant_id, product_id))
        return self.carts.get(tenant_id, customer_id), product

    def basket(self, tenant_id: str, customer_id: str) -> Basket:
        return Basket(
            self.stores.find(tenant_id),
            self.customers.items.get((tenant_id, customer_id)),
            self.carts.get(tenant_id, customer_id),
        )


class InMemoryOrders:
    def __init__(self, products: InMemoryProducts) -> None:
        self.items: dict[tuple[str, str], Order] = {}
        self.products = products

    def add(self, order: Order, *, audit: Staged | None = None) -> bool:
        key = (order.tenant_id, order.id)
        if key in self.items:
            return False
        self.items[key] = order
        return True

    def place(self, transition: Transition, *, audit: Staged | None = None) -> bool:
        order = transition.after
        if not self.add(dataclasses.replace(order, status=transition.before)):
            return False
        try:
            self._apply(transition)
        except Exception:
            del self.items[(order.tenant_id, order.id)]  # all of it or none
            raise
        return True

    def find(self, tenant_id: str, order_id: str) -> Order | None:
        return self.items.get((tenant_id, order_id))

    def page(
        self, tenant_id: str, customer_id: str | None, *, limit: int, start: Position
    ) -> tuple[list[Order], Position]:
        mine = [
            o
            for (t, _), o in self.items.items()
            if t == tenant_id and customer_id in (None, o.customer_id)
        ]
        mine.sort(key=lambda o: o.created_at, reverse=customer_id is not None)
        return _page(mine, limit, start)

    def open(self, *, limit: int) -> list[Order]:
        return sorted((o for o in self.items.values() if o.is_open), key=lambda o: o.reserve_until)[
            :limit
        ]

    def apply(
        self,
        transition: Transition,
        *,
        audit: Staged | None = None,
        also: Sequence[Staged] = (),
    ) -> None:
        self._apply(transition)
        for item in also:  # committed: what the transaction carried is stored
            item.add_to(None)

    def _apply(self, transition: Transition) -> None:
        order = transition.after
        current = self.find(order.tenant_id, order.id)
        if current is None or current.status is not transition.before:
            raise InvalidTransition(f"the order is no longer {transition.before}")
        if transition.stock is Stock.KEEP:
            self.items[(order.tenant_id, order.id)] = order
            return
        if transition.stock is Stock.RESERVE:
            for line in order.lines:
                p = self.products.get(order.tenant_id, line.product_id)
                if p.available < line.quantity or p.status is not ProductStatus.ACTIVE:
                    raise OutOfStock(f"not enough {line.sku} in stock")
        for line in order.lines:
            per_unit = _MOVES[transition.stock]
            self.products.move(
                order.tenant_id,
                line.product_id,
                **{name: n * line.quantity for name, n in per_unit.items()},
            )
        self.items[(order.tenant_id, order.id)] = order


class FakeBanking:
    """The payment gateway as banking behaves: a charge with a key lands at most once.

    ``mode`` is what the wire does: ``up``; ``down`` (nothing reaches banking); ``lose``
    (banking acts, the answer is lost). ``balances`` are the payers' funds; ``mandates``
    the payer accounts that granted the store a mandate. ``after_charge`` runs once banking
    has answered a charge, to let a test move the order meanwhile.
    """

    def __init__(self) -> None:
        self.mode = "up"
        self.balances: dict[str, int] = {}
        self.mandates: set[str] = set()
        self.owned: set[str] = set()  # accounts the caller holds (owns_account)
        self.payments: dict[str, Payment] = {}  # by key
        self.refunds: dict[str, str] = {}  # key -> refund id
        self.payer_of: dict[str, str] = {}  # payment id -> payer account
        self.calls: list[str] = []
        self.decline: set[str] = set()  # payers whose payments banking's fraud rules decline
        self.after_charge: Callable[[], None] | None = None

    def _wire(self, call: str) -> None:
        self.calls.append(call)
        if self.mode == "down":
            raise PaymentUnknown("banking is unreachable")

    def _answer(self) -> None:
        if self.mode == "lose":
            raise PaymentUnknown("the answer was lost")

    async def charge(self, charge: Charge) -> Payment:
        key, payer_account_id, amount = charge.key, charge.payer_account_id, charge.amount
        self._wire("charge")
        if key not in self.payments:
            if payer_account_id not in self.mandates:
                raise PaymentRefused("no-mandate")
            if payer_account_id in self.decline:
                payment = Payment(f"pay_{len(self.payments)}", "declined", amount, 0, ("velocity",))
            elif self.balances.get(payer_account_id, 0) < amount:
                raise PaymentRefused("insufficient-funds")
            else:
                self.balances[payer_account_id] -= amount
                payment = Payment(f"pay_{len(self.payments)}", "captured", amount, 0, ())
            self.payments[key] = payment
            self.payer_of[payment.id] = payer_account_id
        self._answer()
        if self.after_charge is not None:
            self.after_charge()
        return self.payments[key]

    async def find(self, tenant: str, key: str) -> Payment | None:
        self._wire("find")
        self._answer()
        return self.payments.get(key)

    async def refund(
        self, tenant: str, payment_id: str, *, amount: int, key: str, reason: str
    ) -> str:
        self._wire("refund")
        if key not in self.refunds:
            payer = self.payer_of[payment_id]
            self.balances[payer] = self.balances.get(payer, 0) + amount
            self.refunds[key] = f"ref_{len(self.refunds)}"
        self._answer()
        return self.refunds[key]

    async def owns_account(self, account_id: str) -> bool:
        self._wire("owns_account")
        self._answer()
        return account_id in self.owned

    async def aclose(self) -> None:
        return None
