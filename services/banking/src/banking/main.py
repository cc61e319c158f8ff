"""The banking app: the lift_core stack around banking's routes, on ``bootstrap``'s graph."""

from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier
from lift_core.wiring import create_service_app

from banking.api.routes import accounts, movements
from banking.bootstrap import SUBSCRIPTIONS, Banking, bootstrap
from banking.config import BankingSettings
from banking.domain import exceptions as e
from banking.domain.operations import DuplicateOperation, StaleRead

ERRORS: dict[type[Exception], tuple[int, str]] = {
    e.InvalidAmount: (422, "invalid-amount"),
    e.UnknownCurrency: (422, "unknown-currency"),
    e.CurrencyMismatch: (422, "currency-mismatch"),
    e.SameAccount: (422, "same-account"),
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


def create_banking_app(
    lift: LiftSettings | None = None,
    banking: BankingSettings | None = None,
    *,
    verifier: JwtVerifier | None = None,
    services: Banking | None = None,
) -> FastAPI:
    """``services``: a graph built by ``bootstrap`` (tests keep it to inspect storage)."""
    lift = lift or LiftSettings(service_name="banking")
    services = services or bootstrap(banking, lift=lift)
    return create_service_app(
        lift,
        services,
        title="Lift banking",
        description="Accounts, ledger, transfers, payments and refunds. Money is integer "
        "minor units plus an ISO 4217 currency.",
        routers=[accounts.router, movements.router],
        error_map=ERRORS,
        subscriptions=SUBSCRIPTIONS,
        verifier=verifier,
    )


@lru_cache(maxsize=1)
def app_from_environment() -> FastAPI:
    """For uvicorn: ``uvicorn banking.main:app_from_environment --factory``."""
    return create_banking_app()
