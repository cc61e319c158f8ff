"""Banking's object graph, built in one place for the app, Lambda, jobs and tests.

``bootstrap(settings, lift=...)`` binds the DynamoDB tables and the audit chain; any
collaborator passed as an override (a port's in-memory fake, an audit log, a clock) is used
instead, and with every storage port and the audit log overridden nothing touches DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, Unpack

from lift_core import LiftSettings
from lift_core.audit import PCI_DSS, SOC2, ActionRule, AuditLog, AuditPolicy
from lift_core.clock import Clock, utc_now
from lift_core.events import Consumer, InboxPort, OutboxPort, Subscription
from lift_core.wiring import ServiceTables

from banking.adapters.ledger import DynamoLedger
from banking.adapters.models import BankTables
from banking.config import BankingSettings
from banking.domain.fraud import FraudRules
from banking.service.accounts import Accounts, Rules
from banking.service.payments import Payments
from banking.service.ports import AccountRepository, Ledger, OperationRepository, Storage
from banking.service.reconciliation import Reconciliation
from banking.service.transfers import Transfers


class Overrides(TypedDict, total=False):
    accounts: AccountRepository
    operations: OperationRepository
    ledger: Ledger
    audit: AuditLog
    outbox: OutboxPort
    inbox: InboxPort
    clock: Clock


@dataclass(frozen=True)
class Banking:
    settings: BankingSettings
    accounts: Accounts
    transfers: Transfers
    payments: Payments
    audit: AuditLog
    storage: Storage
    consumers: tuple[Consumer, ...]
    platform: ServiceTables | None  # None when storage and audit are all injected


# The events banking consumes, one queue each (the SAM template declares the same).
ORDERS = Subscription("banking-orders", "ecommerce", ("order.confirmed", "order.cancelled"))
SUBSCRIPTIONS = (ORDERS,)


def audit_policy(settings: BankingSettings) -> AuditPolicy:
    """PCI DSS 10.2 for money and card data, SOC 2 CC7.2 for account administration."""
    days = settings.audit_retention_days
    money = ActionRule((PCI_DSS, SOC2), retention_days=days, sensitive=True)
    admin = ActionRule((PCI_DSS, SOC2), retention_days=days)
    return AuditPolicy(
        {
            "transfer.*": money,
            "payment.*": money,
            "refund.*": money,
            "account.deposit": money,
            "account.withdrawal": money,
            "account.read": ActionRule((PCI_DSS,), retention_days=days, sensitive=True),
            "account.freeze": admin,
            "account.unfreeze": admin,
            "mandate.*": admin,
        },
        default=ActionRule((SOC2,), retention_days=days),
    )


def fraud_rules(settings: BankingSettings) -> FraudRules:
    return FraudRules(
        high_amount=settings.fraud_high_amount,
        very_high_amount=settings.fraud_very_high_amount,
        velocity_window_seconds=settings.fraud_velocity_window_seconds,
        velocity_limit=settings.fraud_velocity_limit,
        threshold=settings.fraud_threshold,
    )


def bootstrap(
    settings: BankingSettings | None = None,
    *,
    lift: LiftSettings | None = None,
    **overrides: Unpack[Overrides],
) -> Banking:
    settings = settings or BankingSettings()
    platform = None
    clock = overrides.get("clock", utc_now)
    if not {"accounts", "operations", "ledger", "audit", "outbox", "inbox"} <= overrides.keys():
        lift = lift or LiftSettings(service_name="banking")
        tables = BankTables.bind(lift)
        platform = ServiceTables.bind(lift, "banking", tables.all())
        dynamo = DynamoLedger(tables)
        overrides = {
            "accounts": dynamo.accounts,
            "operations": dynamo.operations,
            "ledger": dynamo,
            "audit": platform.recorder(audit_policy(settings)),
            "outbox": platform.outbox(clock),
            "inbox": platform.inbox(),
            **overrides,
        }
    storage = Storage(overrides["accounts"], overrides["operations"], overrides["ledger"])
    audit, outbox = overrides["audit"], overrides["outbox"]
    rules = Rules(daily_debit_limit=settings.daily_debit_limit)
    owners = Accounts(storage, audit, rules, clock=clock)
    reconciliation = Reconciliation(storage.operations, storage.accounts, audit, clock=clock)
    orders = dict.fromkeys(ORDERS.types, reconciliation.on_order)
    return Banking(
        settings=settings,
        accounts=owners,
        transfers=Transfers(storage, audit, owners, outbox=outbox, clock=clock),
        payments=Payments(
            storage, audit, owners, fraud=fraud_rules(settings), outbox=outbox, clock=clock
        ),
        audit=audit,
        storage=storage,
        consumers=(Consumer(ORDERS, orders, overrides["inbox"]),),
        platform=platform,
    )
