"""The customer's cart: product ids and quantities; prices are read at checkout."""

from __future__ import annotations

from lift_core.context import Principal

from ecommerce.domain.carts import Cart, check_quantity
from ecommerce.domain.catalog import ProductStatus
from ecommerce.domain.exceptions import ProductNotActive
from ecommerce.domain.pricing import Line
from ecommerce.service.ports import Storage


class Carts:
    def __init__(self, storage: Storage) -> None:
        self.carts = storage.carts
        self.products = storage.products

    def view(self, principal: Principal) -> tuple[Cart, list[Line]]:
        cart = self.carts.get(principal.tenant_id, principal.subject)
        return cart, self.lines(principal.tenant_id, cart)

    def lines(self, tenant: str, cart: Cart) -> list[Line]:
        """The cart at today's prices (consistent reads)."""
        lines = []
        for product_id, quantity in sorted(cart.items.items()):
            p = self.products.get(tenant, product_id)
            lines.append(Line(p.id, p.sku, p.name, p.price, quantity))
        return lines

    def add(self, principal: Principal, product_id: str, quantity: int) -> Cart:
        check_quantity(quantity)
        product = self.products.get(principal.tenant_id, product_id)
        if product.status is not ProductStatus.ACTIVE:
            raise ProductNotActive(f"{product.sku} is not for sale")
        cart = self.carts.get(principal.tenant_id, principal.subject)
        return self._save(principal, cart.added(product_id, quantity))

    def update(self, principal: Principal, item_id: str, quantity: int) -> Cart:
        cart = self.carts.get(principal.tenant_id, principal.subject)
        return self._save(principal, cart.with_quantity(item_id, quantity))

    def remove(self, principal: Principal, item_id: str) -> Cart:
        cart = self.carts.get(principal.tenant_id, principal.subject)
        return self._save(principal, cart.without(item_id))

    def _save(self, principal: Principal, cart: Cart) -> Cart:
        return self.carts.save(principal.tenant_id, principal.subject, cart)
