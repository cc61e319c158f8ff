"""Dependencies the routes share: the use cases, and the Idempotency-Key requirement."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from banking.domain.exceptions import IdempotencyKeyRequired
from banking.service.accounts import Accounts
from banking.service.movements import Movements


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def _movements(request: Request) -> Movements:
    movements: Movements = request.app.state.movements
    return movements


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
MovementsService = Annotated[Movements, Depends(_movements)]
IdempotencyKey = Annotated[str, Depends(_idempotency_key)]
