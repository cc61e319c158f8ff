"""Dependencies the routes share: the use cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from banking.bootstrap import Banking
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


AccountsService = Annotated[Accounts, Depends(_accounts)]
TransfersService = Annotated[Transfers, Depends(_transfers)]
PaymentsService = Annotated[Payments, Depends(_payments)]
