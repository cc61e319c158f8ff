"""The customer's cart: product ids and quantities; prices are read at checkout."""

from __future__ import annotations

from collections.abc import Mapping

from lift_core.context import Principal

from ecommerce.domain.carts import Cart, check_quantity
from ecommerce.domain.catalog import Product, ProductStatus
from ecommerce.domain.exceptions import ProductNotActive, ProductNotFound
from ecommerce.domain.pricing import Line
from ecommerce.service.ports import Storage

Priced = tuple[Cart, list[Line]]  # the cart, and its lines at today's prices


class Carts:
    def __init__(self, storage: Storage) -> None:
        self.carts = storage.carts
        self.products = storage.products
        self.baskets = storage.baskets

    def view(self, principal: Principal) -> Priced:
        cart = self.carts.get(principal.tenant_id, principal.subject)
        return cart, self.lines(principal.tenant_id, cart)

    def lines(
        self, tenant: str, cart: Cart, known: Mapping[str, Product] | None = None
    ) -> list[Line]:
        """The cart at today's prices (consistent reads), without reading again a product
        the caller has just read (``known``)."""
        lines = []
        for product_id, quantity in sorted(cart.items.items()):
            p = (known or {}).get(product_id) or self.products.get(tenant, product_id)
            lines.append(Line(p.id, p.sku, p.name, p.price, quantity))
        return lines

    def add(self, principal: Principal, product_id: str, quantity: int) -> Priced:
        check_quantity(quantity)
        if not product_id.startswith("prd_"):
            raise ProductNotFound(product_id)
        cart, product = self.baskets.cart_and_product(
            principal.tenant_id, principal.subject, product_id
        )  # one round trip
        if product is None:
            raise ProductNotFound(product_id)
        if product.status is not ProductStatus.ACTIVE:
            raise ProductNotActive(f"{product.sku} is not for sale")
        return self._save(principal, cart.added(product_id, quantity), {product.id: product})

    def update(self, principal: Principal, item_id: str, quantity: int) -> Priced:
        cart = self.carts.get(principal.tenant_id, principal.subject)
        return self._save(principal, cart.with_quantity(item_id, quantity))

    def remove(self, principal: Principal, item_id: str) -> Priced:
        cart = self.carts.get(principal.tenant_id, principal.subject)
        return self._save(principal, cart.without(item_id))

    def _save(
        self, principal: Principal, cart: Cart, known: Mapping[str, Product] | None = None
    ) -> Priced:
        saved = self.carts.save(principal.tenant_id, principal.subject, cart)
        return saved, self.lines(principal.tenant_id, saved, known)
