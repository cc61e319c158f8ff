"""E-commerce business errors. No HTTP here: ``main.ERRORS`` maps them in one table."""

from __future__ import annotations


class ShopError(Exception):
    """Base of every rule the e-commerce domain enforces."""


class NotPermitted(ShopError):
    pass


class StoreNotConfigured(ShopError):
    """The tenant has no store settings (merchant account, currency, tax) yet."""


class ProductNotFound(ShopError):
    """Unknown, or in another tenant: indistinguishable on purpose."""


class SkuTaken(ShopError):
    pass


class ProductNotActive(ShopError):
    pass


class InvalidQuantity(ShopError):
    pass


class CurrencyMismatch(ShopError):
    pass


class InventoryBelowReserved(ShopError):
    """On-hand stock cannot drop below what open orders hold."""


class ConcurrentUpdate(ShopError):
    pass


class CustomerNotFound(ShopError):
    pass


class CustomerExists(ShopError):
    pass


class BankAccountNotFound(ShopError):
    """The bank account is unknown or not the caller's."""


class CustomerErased(ShopError):
    """The customer's personal data was crypto-shredded (GDPR erasure)."""


class CartItemNotFound(ShopError):
    pass


class EmptyCart(ShopError):
    pass


class OutOfStock(ShopError):
    pass


class OrderNotFound(ShopError):
    pass


class InvalidTransition(ShopError):
    pass


class IdempotencyKeyRequired(ShopError):
    pass


class PaymentServiceUnavailable(ShopError):
    """Banking did not answer; the operation can be retried later."""
