"""The customer's cart: product ids and quantities; prices are read at checkout."""

from __future__ import annotations

from lift_core.context import Principal

from ecommerce.adapters.repository import Cart, DynamoShop
from ecommerce.domain.catalog import Product, ProductStatus
from ecommerce.domain.exceptions import CartItemNotFound, InvalidQuantity, ProductNotActive
from ecommerce.domain.pricing import Line

MAX_QUANTITY = 99
MAX_ITEMS = 50


def check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(f"quantity must be between 1 and {MAX_QUANTITY}")


class Carts:
    def __init__(self, shop: DynamoShop) -> None:
        self.shop = shop

    def view(self, principal: Principal) -> tuple[Cart, list[Line]]:
        cart = self.shop.cart(principal.tenant_id, principal.subject)
        return cart, self.lines(principal.tenant_id, cart)

    def lines(self, tenant: str, cart: Cart) -> list[Line]:
        """The cart at today's prices (consistent reads)."""
        lines = []
        for product_id, quantity in sorted(cart.items.items()):
            p = self.shop.product(tenant, product_id)
            lines.append(Line(p.id, p.sku, p.name, p.price, quantity))
        return lines

    def add(self, principal: Principal, product_id: str, quantity: int) -> Cart:
        check_quantity(quantity)
        self._sellable(self.shop.product(principal.tenant_id, product_id))
        cart = self.shop.cart(principal.tenant_id, principal.subject)
        total = cart.items.get(product_id, 0) + quantity
        check_quantity(total)
        if product_id not in cart.items and len(cart.items) >= MAX_ITEMS:
            raise InvalidQuantity(f"a cart holds at most {MAX_ITEMS} different products")
        items = {**cart.items, product_id: total}
        return self.shop.save_cart(
            principal.tenant_id, principal.subject, Cart(items, cart.version)
        )

    def update(self, principal: Principal, item_id: str, quantity: int) -> Cart:
        check_quantity(quantity)
        cart = self.shop.cart(principal.tenant_id, principal.subject)
        if item_id not in cart.items:
            raise CartItemNotFound(item_id)
        items = {**cart.items, item_id: quantity}
        return self.shop.save_cart(
            principal.tenant_id, principal.subject, Cart(items, cart.version)
        )

    def remove(self, principal: Principal, item_id: str) -> Cart:
        cart = self.shop.cart(principal.tenant_id, principal.subject)
        if item_id not in cart.items:
            raise CartItemNotFound(item_id)
        items = {k: v for k, v in cart.items.items() if k != item_id}
        return self.shop.save_cart(
            principal.tenant_id, principal.subject, Cart(items, cart.version)
        )

    @staticmethod
    def _sellable(product: Product) -> None:
        if product.status is not ProductStatus.ACTIVE:
            raise ProductNotActive(f"{product.sku} is not for sale")
