"""The e-commerce app: the lift_core stack around e-commerce's routes, on ``bootstrap``'s
graph, with the periodic order recovery."""

from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier
from lift_core.protection import SubjectErased
from lift_core.tasks import PeriodicJob
from lift_core.wiring import create_service_app

from ecommerce.api.routes import cart, customers, orders, products
from ecommerce.bootstrap import SUBSCRIPTIONS, Shop, bootstrap
from ecommerce.config import EcommerceSettings
from ecommerce.domain import exceptions as e
from ecommerce.domain.payments import PaymentUnknown

ERRORS: dict[type[Exception], tuple[int, str]] = {
    e.NotPermitted: (403, "not-permitted"),
    e.StoreNotConfigured: (409, "store-not-configured"),
    e.ProductNotFound: (404, "product-not-found"),
    e.SkuTaken: (409, "sku-taken"),
    e.ProductNotActive: (409, "product-not-active"),
    e.InvalidQuantity: (422, "invalid-quantity"),
    e.CurrencyMismatch: (422, "currency-mismatch"),
    e.InventoryBelowReserved: (409, "inventory-below-reserved"),
    e.ConcurrentUpdate: (409, "concurrent-update"),
    e.CustomerNotFound: (404, "customer-not-found"),
    e.CustomerExists: (409, "customer-exists"),
    e.CustomerErased: (410, "customer-erased"),
    e.BankAccountNotFound: (422, "bank-account-not-found"),
    SubjectErased: (410, "customer-erased"),
    e.CartItemNotFound: (404, "cart-item-not-found"),
    e.EmptyCart: (422, "empty-cart"),
    e.OutOfStock: (409, "out-of-stock"),
    e.OrderNotFound: (404, "order-not-found"),
    e.InvalidTransition: (409, "invalid-transition"),
    e.PaymentServiceUnavailable: (503, "payment-service-unavailable"),
    # Banking did not answer a call the request needed (e.g. the bank account check).
    PaymentUnknown: (503, "payment-service-unavailable"),
}


def create_ecommerce_app(
    lift: LiftSettings | None = None,
    settings: EcommerceSettings | None = None,
    *,
    verifier: JwtVerifier | None = None,
    services: Shop | None = None,
) -> FastAPI:
    """``services``: a graph built by ``bootstrap`` (tests pass one with their own gateway
    to banking, and keep it to look at storage)."""
    lift = lift or LiftSettings(service_name="ecommerce")
    shop = services or bootstrap(settings, lift=lift)
    s = shop.settings

    async def recover_once() -> str | None:
        report = await shop.checkout.recover(limit=s.recovery_batch)
        if not report.examined:
            return None
        return f"examined {report.examined}, finished {report.finished}, open {report.still_open}"

    return create_service_app(
        lift,
        shop,
        title="Lift e-commerce",
        description="Catalogue, stock, carts and orders; checkout is a saga that charges "
        "the customer through banking exactly once. Money is integer minor units.",
        routers=[products.router, customers.router, cart.router, orders.router],
        error_map=ERRORS,
        subscriptions=SUBSCRIPTIONS,
        jobs=[PeriodicJob("order recovery", s.recovery_interval_seconds, recover_once)],
        on_shutdown=shop.payments.aclose,
        idempotency_sealer=shop.cipher,
        verifier=verifier,
    )


@lru_cache(maxsize=1)
def app_from_environment() -> FastAPI:
    """For uvicorn: ``uvicorn ecommerce.main:app_from_environment --factory``."""
    return create_ecommerce_app()
