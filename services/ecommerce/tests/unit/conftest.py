"""E-commerce's use cases on in-memory fakes, built by the same ``bootstrap`` as the app."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from services.ecommerce.tests.fakes import (
    FakeBanking,
    InMemoryBaskets,
    InMemoryCarts,
    InMemoryCustomers,
    InMemoryOrders,
    InMemoryProducts,
    InMemoryStores,
)

from lift_core.audit import InMemoryAuditLog
from lift_core.clock import ManualClock
from lift_core.context import Principal
from lift_core.events import InMemoryInbox, InMemoryOutbox
from lift_core.protection import InMemoryCipher

from ecommerce.bootstrap import Shop, bootstrap
from ecommerce.config import EcommerceSettings
from ecommerce.domain.catalog import Product, ProductStatus
from ecommerce.domain.orders import Order
from ecommerce.domain.pricing import StorePolicy

ADMIN = Principal("ada", "acme", roles=frozenset({"admin"}))
RESERVATION_SECONDS = 900
MIN_AGE_SECONDS = 30


def customer(subject: str) -> Principal:
    return Principal(subject, "acme", roles=frozenset({"customer"}))


@dataclass
class World:
    """The graph, the fakes behind it and shortcuts to set a scene up."""

    shop: Shop
    products: InMemoryProducts
    orders: InMemoryOrders
    carts: InMemoryCarts
    banking: FakeBanking
    audit: InMemoryAuditLog
    clock: ManualClock
    outbox: InMemoryOutbox
    inbox: InMemoryInbox
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def product(
        self,
        quantity: int,
        *,
        price: int = 1_000,
        currency: str = "EUR",
        status: ProductStatus = ProductStatus.ACTIVE,
    ) -> str:
        n = next(self.ids)
        product = Product(
            f"prd_{n}", "acme", f"SKU-{n}", "Mug", "", "kitchen", price, currency, status,
            quantity, 0, quantity, "2026-01-01",
        )  # fmt: skip
        self.products.add(product)
        return product.id

    async def buyer(self, subject: str, *, funds: int = 100_000, mandate: bool = True) -> Principal:
        """A registered customer with a bank account (and the store's mandate on it)."""
        account = f"acc_{subject}"
        self.banking.owned.add(account)
        self.banking.balances[account] = funds
        if mandate:
            self.banking.mandates.add(account)
        who = customer(subject)
        await self.shop.customers.register(
            who,
            customer_id=None,
            bank_account_id=account,
            name=subject.title(),
            email=f"{subject}@example.com",
            address=f"{subject} street 1",
        )
        self.banking.owned.discard(account)
        self.banking.calls.clear()
        return who

    def stock(self, product_id: str) -> tuple[int, int, int]:
        p = self.products.get("acme", product_id)
        return p.quantity, p.reserved, p.available

    def stored(self, order: Order) -> Order:
        found = self.orders.find(order.tenant_id, order.id)
        assert found is not None
        return found


@pytest.fixture
def world() -> World:
    return make_world()


def make_world() -> World:
    """E-commerce's graph on fresh fakes (the provider's message pact test builds one too)."""
    products = InMemoryProducts()
    orders, carts = InMemoryOrders(products), InMemoryCarts()
    banking, audit, clock = FakeBanking(), InMemoryAuditLog(), ManualClock()
    stores, customers = InMemoryStores(), InMemoryCustomers()
    outbox, inbox = InMemoryOutbox("ecommerce", clock), InMemoryInbox()
    stores.save(StorePolicy("acme", "acc_shop", "EUR", 2000, 500, 10_000))
    shop = bootstrap(
        EcommerceSettings(
            reservation_seconds=RESERVATION_SECONDS,
            recovery_min_age_seconds=MIN_AGE_SECONDS,
            catalog_cache_seconds=0,
        ),
        stores=stores,
        products=products,
        customers=customers,
        carts=carts,
        orders=orders,
        baskets=InMemoryBaskets(stores, customers, carts, products),
        outbox=outbox,
        inbox=inbox,
        payments=banking,
        audit=audit,
        cipher=InMemoryCipher(),
        clock=clock,
    )
    return World(shop, products, orders, carts, banking, audit, clock, outbox, inbox)
