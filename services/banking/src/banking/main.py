"""The banking app: wiring of tables, use cases, audit policy and the lift_core stack."""

from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI

from lift_core import LiftSettings, create_app
from lift_core.audit import (
    PCI_DSS,
    SOC2,
    ActionRule,
    AuditPolicy,
)
from lift_core.auth import JwtVerifier
from lift_core.dynamo import bind_model
from lift_core.wiring import ServiceTables

from banking.adapters.models import AccountModel, LedgerModel, OperationModel
from banking.adapters.repository import BankTables, DuplicateOperation, DynamoBank, StaleRead
from banking.api.routes import accounts, movements
from banking.config import BankingSettings
from banking.domain import exceptions as e
from banking.domain.fraud import FraudRules
from banking.service.accounts import Accounts, Rules
from banking.service.movements import Movements

ERRORS: dict[type[Exception], tuple[int, str]] = {
    e.InvalidAmount: (422, "invalid-amount"),
    e.UnknownCurrency: (422, "unknown-currency"),
    e.CurrencyMismatch: (422, "currency-mismatch"),
    e.SameAccount: (422, "same-account"),
    e.IdempotencyKeyRequired: (400, "idempotency-key-required"),
    e.IdempotencyKeyReused: (422, "idempotency-key-reused"),
    e.AccountNotFound: (404, "account-not-found"),
    e.TransferNotFound: (404, "transfer-not-found"),
    e.PaymentNotFound: (404, "payment-not-found"),
    e.NotPermitted: (403, "not-permitted"),
    e.AccountNotActive: (409, "account-not-active"),
    e.InsufficientFunds: (409, "insufficient-funds"),
    e.DailyLimitExceeded: (409, "daily-limit-exceeded"),
    e.RefundExceedsCapture: (409, "refund-exceeds-capture"),
    e.PaymentNotRefundable: (409, "payment-not-refundable"),
    DuplicateOperation: (409, "duplicate-operation"),
    StaleRead: (409, "concurrent-update"),
}


def audit_policy(settings: BankingSettings) -> AuditPolicy:
    """PCI DSS 10.2 for money and card data, SOC 2 CC7.2 for account administration."""
    days = settings.audit_retention_days
    money = ActionRule((PCI_DSS, SOC2), retention_days=days, sensitive=True)
    return AuditPolicy(
        {
            "transfer.*": money,
            "payment.*": money,
            "refund.*": money,
            "account.deposit": money,
            "account.withdrawal": money,
            "account.read": ActionRule((PCI_DSS,), retention_days=days, sensitive=True),
            "account.freeze": ActionRule((PCI_DSS, SOC2), retention_days=days),
            "mandate.*": ActionRule((PCI_DSS, SOC2), retention_days=days),
            "account.unfreeze": ActionRule((PCI_DSS, SOC2), retention_days=days),
        },
        default=ActionRule((SOC2,), retention_days=days),
    )


def create_banking_app(
    lift: LiftSettings | None = None,
    banking: BankingSettings | None = None,
    *,
    verifier: JwtVerifier | None = None,
) -> FastAPI:
    lift = lift or LiftSettings(service_name="banking")
    banking = banking or BankingSettings()
    tables = BankTables(
        accounts=bind_model(AccountModel, lift, "banking-accounts"),
        ledger=bind_model(LedgerModel, lift, "banking-ledger"),
        operations=bind_model(OperationModel, lift, "banking-operations"),
    )
    platform = ServiceTables.bind(lift, "banking", tables.all())
    bank = DynamoBank(tables)
    audit = platform.recorder(audit_policy(banking))
    accounts_uc = Accounts(bank, audit, Rules(daily_debit_limit=banking.daily_debit_limit))
    fraud = FraudRules(
        high_amount=banking.fraud_high_amount,
        very_high_amount=banking.fraud_very_high_amount,
        velocity_window_seconds=banking.fraud_velocity_window_seconds,
        velocity_limit=banking.fraud_velocity_limit,
        threshold=banking.fraud_threshold,
    )
    app = create_app(
        settings=lift,
        title="Lift banking",
        description="Accounts, ledger, transfers, payments and refunds. Money is integer "
        "minor units plus an ISO 4217 currency.",
        routers=[accounts.router, movements.router],
        error_map=ERRORS,
        readiness_checks=platform.readiness_checks(),
        idempotency_store=platform.idempotency_store(),
        audit=audit,
        verifier=verifier,
    )
    app.state.accounts = accounts_uc
    app.state.movements = Movements(bank, accounts_uc, audit, fraud)
    app.state.bank = bank
    app.state.audit = audit
    return app


@lru_cache(maxsize=1)
def app_from_environment() -> FastAPI:
    """For uvicorn: ``uvicorn banking.main:app_from_environment --factory``."""
    return create_banking_app()
