"""Order totals: integer minor units, one stated rounding rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StorePolicy:
    """A tenant's store: where money goes, its currency, tax and shipping rules."""

    tenant_id: str
    merchant_account_id: str
    currency: str
    tax_rate_bp: int  # basis points: 2000 = 20 %
    shipping_fee: int
    free_shipping_from: int | None  # subtotal from which shipping is free; None: never


@dataclass(frozen=True, slots=True)
class Line:
    product_id: str
    sku: str
    name: str
    unit_price: int
    quantity: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: int
    tax: int
    shipping: int
    total: int


def tax_on(subtotal: int, rate_bp: int) -> int:
    """Tax on the whole subtotal, rounded half up to the minor unit (integers only)."""
    return (subtotal * rate_bp + 5_000) // 10_000


def totals(lines: Iterable[Line], policy: StorePolicy) -> Totals:
    subtotal = sum(line.amount for line in lines)
    free = policy.free_shipping_from is not None and subtotal >= policy.free_shipping_from
    shipping = 0 if free else policy.shipping_fee
    tax = tax_on(subtotal, policy.tax_rate_bp)
    return Totals(subtotal=subtotal, tax=tax, shipping=shipping, total=subtotal + tax + shipping)
