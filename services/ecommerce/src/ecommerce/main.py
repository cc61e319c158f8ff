"""The e-commerce app: wiring of tables, banking client, use cases and the recovery task."""

from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI

from lift_core import LiftSettings, create_app
from lift_core.audit import (
    GDPR,
    PCI_DSS,
    SOC2,
    ActionRule,
    AuditPolicy,
)
from lift_core.auth import JwtVerifier
from lift_core.dynamo import bind_model
from lift_core.protection import SubjectErased
from lift_core.tasks import PeriodicJob, background
from lift_core.wiring import ServiceTables
from lift_mesh import (
    MeshSettings,
    PaymentsClient,
    PaymentUnknown,
    ServiceClient,
    ServiceTokens,
    service_tokens,
)

from ecommerce.adapters.models import (
    CartModel,
    CustomerModel,
    OrderModel,
    ProductModel,
    StoreModel,
)
from ecommerce.adapters.repository import DynamoShop, ShopTables
from ecommerce.api.routes import cart, customers, orders, products
from ecommerce.config import EcommerceSettings
from ecommerce.domain import exceptions as e
from ecommerce.service.carts import Carts
from ecommerce.service.catalog import Catalog
from ecommerce.service.checkout import Checkout
from ecommerce.service.customers import Customers
from ecommerce.service.orders import Orders

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
    e.IdempotencyKeyRequired: (400, "idempotency-key-required"),
    e.PaymentServiceUnavailable: (503, "payment-service-unavailable"),
    # Banking did not answer a call the request needed (e.g. the bank account check).
    PaymentUnknown: (503, "payment-service-unavailable"),
}


def audit_policy(settings: EcommerceSettings) -> AuditPolicy:
    """PCI DSS and SOC 2 for money, GDPR for personal data, SOC 2 for the rest."""
    days = settings.audit_retention_days
    money = ActionRule((PCI_DSS, SOC2), retention_days=days)
    personal = ActionRule((GDPR, SOC2), retention_days=days, sensitive=True)
    return AuditPolicy(
        {"order.*": money, "store.configure": money, "customer.*": personal},
        default=ActionRule((SOC2,), retention_days=days),
    )


def create_ecommerce_app(
    lift: LiftSettings | None = None,
    shop_settings: EcommerceSettings | None = None,
    *,
    verifier: JwtVerifier | None = None,
    banking: ServiceClient | None = None,
    tokens: ServiceTokens | None = None,
) -> FastAPI:
    lift = lift or LiftSettings(service_name="ecommerce")
    s = shop_settings or EcommerceSettings()
    tables = ShopTables(
        stores=bind_model(StoreModel, lift, "ecommerce-stores"),
        products=bind_model(ProductModel, lift, "ecommerce-products"),
        customers=bind_model(CustomerModel, lift, "ecommerce-customers"),
        carts=bind_model(CartModel, lift, "ecommerce-carts"),
        orders=bind_model(OrderModel, lift, "ecommerce-orders"),
    )
    platform = ServiceTables.bind(lift, "ecommerce", tables.all(), data_keys=True)
    shop = DynamoShop(tables)
    audit = platform.recorder(audit_policy(s))
    cipher = platform.cipher()
    customers_uc = Customers(shop, cipher, audit)
    carts_uc = Carts(shop)
    mesh = MeshSettings()
    payments = PaymentsClient(
        banking or ServiceClient("banking", settings=mesh),
        tokens
        or service_tokens(lift, mesh, subject=s.service_subject, dev_issuer_url=s.identity_url),
    )
    checkout = Checkout(
        shop,
        carts_uc,
        customers_uc,
        payments,
        audit,
        reservation_seconds=s.reservation_seconds,
        recovery_min_age_seconds=s.recovery_min_age_seconds,
    )

    async def recover_once() -> str | None:
        report = await checkout.recover(limit=s.recovery_batch)
        if not report.examined:
            return None
        return f"examined {report.examined}, finished {report.finished}, open {report.still_open}"

    lifespan = background(
        PeriodicJob("order recovery", s.recovery_interval_seconds, recover_once),
        on_shutdown=payments.client.aclose,
    )

    app = create_app(
        settings=lift,
        title="Lift e-commerce",
        description="Catalogue, stock, carts and orders; checkout is a saga that charges "
        "the customer through banking exactly once. Money is integer minor units.",
        routers=[products.router, customers.router, cart.router, orders.router],
        error_map=ERRORS,
        readiness_checks=platform.readiness_checks(),
        idempotency_store=platform.idempotency_store(),
        idempotency_sealer=cipher,
        audit=audit,
        verifier=verifier,
        lifespan=lifespan,
    )
    app.state.catalog = Catalog(
        shop, audit, cache_seconds=s.catalog_cache_seconds, cache_size=s.catalog_cache_size
    )
    app.state.customers = customers_uc
    app.state.carts = carts_uc
    app.state.checkout = checkout
    app.state.orders = Orders(shop, audit)
    app.state.shop = shop
    return app


@lru_cache(maxsize=1)
def app_from_environment() -> FastAPI:
    """For uvicorn: ``uvicorn ecommerce.main:app_from_environment --factory``."""
    return create_ecommerce_app()
