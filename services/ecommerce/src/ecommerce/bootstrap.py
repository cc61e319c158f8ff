"""E-commerce's object graph, built in one place for the app, Lambda, the recovery job and
tests.

``bootstrap(settings, lift=...)`` binds the DynamoDB tables, the audit chain, the data-key
cipher and the payment gateway on banking; any collaborator passed as an override (a port's
in-memory fake, a gateway, an audit log, a cipher, a clock) is used instead. With every
storage port, the audit log and the cipher overridden nothing touches DynamoDB, and with
``payments`` overridden nothing calls banking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict, Unpack

from lift_core import LiftSettings
from lift_core.audit import GDPR, PCI_DSS, SOC2, ActionRule, AuditLog, AuditPolicy
from lift_core.clock import Clock, utc_now
from lift_core.events import Consumer, InboxPort, OutboxPort, Subscription
from lift_core.protection import FieldCipher
from lift_core.wiring import ServiceTables
from lift_mesh import as_service

from ecommerce.adapters.banking import BankingPayments
from ecommerce.adapters.catalog import DynamoProducts, DynamoStores
from ecommerce.adapters.customers import DynamoBaskets, DynamoCarts, DynamoCustomers
from ecommerce.adapters.models import ShopTables
from ecommerce.adapters.orders import DynamoOrders
from ecommerce.config import EcommerceSettings
from ecommerce.service.carts import Carts
from ecommerce.service.catalog import Catalog
from ecommerce.service.checkout import Checkout
from ecommerce.service.customers import Customers
from ecommerce.service.orders import Orders
from ecommerce.service.ports import (
    BasketReads,
    CartRepository,
    CustomerRepository,
    OrderRepository,
    PaymentGateway,
    ProductRepository,
    Storage,
    StoreRepository,
)

_STORAGE = ("stores", "products", "customers", "carts", "orders", "baskets")


class Overrides(TypedDict, total=False):
    stores: StoreRepository
    products: ProductRepository
    customers: CustomerRepository
    carts: CartRepository
    orders: OrderRepository
    baskets: BasketReads
    payments: PaymentGateway
    audit: AuditLog
    cipher: FieldCipher
    outbox: OutboxPort
    inbox: InboxPort
    clock: Clock


# The events e-commerce consumes, one queue each (the SAM template declares the same).
PAYMENTS = Subscription("ecommerce-payments", "banking", ("payment.captured", "payment.declined"))
SUBSCRIPTIONS = (PAYMENTS,)


@dataclass(frozen=True)
class Shop:
    settings: EcommerceSettings
    catalog: Catalog
    customers: Customers
    carts: Carts
    checkout: Checkout
    orders: Orders
    storage: Storage
    payments: PaymentGateway
    audit: AuditLog
    cipher: FieldCipher
    consumers: tuple[Consumer, ...]
    platform: ServiceTables | None  # None when storage, audit and cipher are all injected


def audit_policy(settings: EcommerceSettings) -> AuditPolicy:
    """PCI DSS and SOC 2 for money, GDPR for personal data, SOC 2 for the rest."""
    days = settings.audit_retention_days
    money = ActionRule((PCI_DSS, SOC2), retention_days=days)
    personal = ActionRule((GDPR, SOC2), retention_days=days, sensitive=True)
    return AuditPolicy(
        {"order.*": money, "store.configure": money, "customer.*": personal},
        default=ActionRule((SOC2,), retention_days=days),
    )


def bootstrap(
    settings: EcommerceSettings | None = None,
    *,
    lift: LiftSettings | None = None,
    **overrides: Unpack[Overrides],
) -> Shop:
    s = settings or EcommerceSettings()
    platform = None
    clock = overrides.get("clock", utc_now)
    if not {*_STORAGE, "audit", "cipher", "outbox", "inbox"} <= overrides.keys():
        lift = lift or LiftSettings(service_name="ecommerce")
        tables = ShopTables.bind(lift)
        platform = ServiceTables.bind(lift, "ecommerce", tables.all(), data_keys=True)
        connection = tables.connection()
        overrides = {
            "stores": DynamoStores(tables.stores),
            "products": DynamoProducts(tables.products, connection),
            "customers": DynamoCustomers(tables.customers),
            "carts": DynamoCarts(tables.carts),
            "orders": DynamoOrders(tables.orders, tables.products, connection),
            "baskets": DynamoBaskets(
                tables.stores, tables.customers, tables.carts, tables.products
            ),
            "audit": platform.recorder(audit_policy(s)),
            "cipher": platform.cipher(),
            "outbox": platform.outbox(clock),
            "inbox": platform.inbox(),
            **overrides,
        }
    if "payments" not in overrides:
        lift = lift or LiftSettings(service_name="ecommerce")
        overrides["payments"] = BankingPayments(
            *as_service("banking", lift, subject=s.service_subject, dev_issuer_url=s.identity_url)
        )
    storage = Storage(*(overrides[name] for name in _STORAGE))  # type: ignore[literal-required]
    payments, audit, cipher = overrides["payments"], overrides["audit"], overrides["cipher"]
    customers = Customers(storage, cipher, audit, payments, clock=clock)
    carts = Carts(storage)
    checkout = Checkout(
        storage,
        carts,
        customers,
        payments,
        audit,
        outbox=overrides["outbox"],
        reservation=timedelta(seconds=s.reservation_seconds),
        min_age=timedelta(seconds=s.recovery_min_age_seconds),
        clock=clock,
    )
    handlers = dict.fromkeys(PAYMENTS.types, checkout.on_payment)
    return Shop(
        settings=s,
        catalog=Catalog(
            storage,
            audit,
            cache_seconds=s.catalog_cache_seconds,
            cache_size=s.catalog_cache_size,
            clock=clock,
        ),
        customers=customers,
        carts=carts,
        checkout=checkout,
        orders=Orders(storage, audit, clock=clock),
        storage=storage,
        payments=payments,
        audit=audit,
        cipher=cipher,
        consumers=(Consumer(PAYMENTS, handlers, overrides["inbox"]),),
        platform=platform,
    )
