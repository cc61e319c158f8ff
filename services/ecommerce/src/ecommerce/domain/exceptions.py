"""E-commerce business errors. No HTTP here: ``main.ERRORS`` maps them in one table."""

from __future__ import annotations


class ShopError(Exception):
    """Base of every rule the e-commerce domain enforces."""


class NotPermitted(ShopError):
    """The caller's role does not allow this action."""


class StoreNotConfigured(ShopError):
    """The tenant has no store settings (merchant account, currency, tax) yet."""


class ProductNotFound(ShopError):
    """Unknown, or in another tenant: indistinguishable on purpose."""


class SkuTaken(ShopError):
    """Another product already uses this SKU."""


class ProductNotActive(ShopError):
    """The product is not for sale."""


class InvalidQuantity(ShopError):
    """The quantity is out of range, or the cart is full."""


class CurrencyMismatch(ShopError):
    """The price's currency is not the store's currency."""


class InventoryBelowReserved(ShopError):
    """On-hand stock cannot drop below what open orders hold."""


class ConcurrentUpdate(ShopError):
    """The resource changed meanwhile; read it again and retry."""


class CustomerNotFound(ShopError):
    """No such customer is visible to the caller."""


class CustomerExists(ShopError):
    """The caller already has a customer profile."""


class BankAccountNotFound(ShopError):
    """The bank account is unknown or not the caller's."""


class CustomerErased(ShopError):
    """The customer's personal data was crypto-shredded (GDPR erasure)."""


class CartItemNotFound(ShopError):
    """No such item is in the caller's cart."""


class EmptyCart(ShopError):
    """The cart is empty."""


class OutOfStock(ShopError):
    """Not enough stock is left for an item of the cart."""


class OrderNotFound(ShopError):
    """No such order is visible to the caller."""


class InvalidTransition(ShopError):
    """The order's current status does not allow this."""


class PaymentServiceUnavailable(ShopError):
    """Banking did not answer; the operation can be retried later."""
