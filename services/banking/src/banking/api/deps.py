"""Dependencies the routes share: the use cases, and the Idempotency-Key requirement."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from banking.bootstrap import Banking
from banking.domain.exceptions import IdempotencyKeyRequired
from banking.service.accounts import Accounts
from banking.service.payments import Payments
from banking.service.transfers import Transfers


def _banking(request: Request) -> Banking:
    banking: Banking = request.app.state.banking
    return banking


def _accounts(request: Request) -> Accounts:
    return _banking(request).accounts


def _transfers(request: Request) -> Transfers:
    return _banking(request).transfers


def _payments(request: Request) -> Payments:
    return _banking(request).payments


def _idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=255, description="Required: one per operation"),
    ] = None,
) -> str:
    if not idempotency_key:
        raise IdempotencyKeyRequired("this operation needs an Idempotency-Key header")
    return idempotency_key


AccountsService = Annotated[Accounts, Depends(_accounts)]
TransfersService = Annotated[Transfers, Depends(_transfers)]
PaymentsService = Annotated[Payments, Depends(_payments)]
IdempotencyKey = Annotated[str, Depends(_idempotency_key)]
