"""A customer's cart: product ids and quantities (prices are read at checkout)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ecommerce.domain.exceptions import CartItemNotFound, InvalidQuantity

MAX_QUANTITY = 99
MAX_ITEMS = 50


def check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(f"quantity must be between 1 and {MAX_QUANTITY}")


@dataclass(frozen=True, slots=True)
class Cart:
    items: dict[str, int] = field(default_factory=dict)  # product id -> quantity
    version: int | None = None  # None: never saved

    def added(self, product_id: str, quantity: int) -> Cart:
        check_quantity(quantity)
        total = self.items.get(product_id, 0) + quantity
        check_quantity(total)
        if product_id not in self.items and len(self.items) >= MAX_ITEMS:
            raise InvalidQuantity(f"a cart holds at most {MAX_ITEMS} different products")
        return Cart({**self.items, product_id: total}, self.version)

    def with_quantity(self, product_id: str, quantity: int) -> Cart:
        check_quantity(quantity)
        if product_id not in self.items:
            raise CartItemNotFound(product_id)
        return Cart({**self.items, product_id: quantity}, self.version)

    def without(self, product_id: str) -> Cart:
        if product_id not in self.items:
            raise CartItemNotFound(product_id)
        return Cart({k: v for k, v in self.items.items() if k != product_id}, self.version)
