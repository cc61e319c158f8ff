"""Accounts, balances, deposits and withdrawals, and the ledger."""

from __future__ import annotations

from fastapi import APIRouter, Response

from lift_core.auth import CurrentPrincipal
from lift_core.pagination import CursorPage, Limit, PageCursor

from banking.api.deps import AccountsService
from banking.api.schemas import (
    AccountOut,
    BalanceOut,
    GrantMandate,
    LedgerEntryOut,
    MandateOut,
    OpenAccount,
    PostTransaction,
    TransactionOut,
)
from banking.domain.accounts import Account
from banking.domain.money import Money

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])


def _out(a: Account) -> AccountOut:
    return AccountOut.model_validate(a, from_attributes=True)


@router.post("", status_code=201, summary="Open an account (for yourself; staff for anyone)")
def open_account(
    body: OpenAccount, principal: CurrentPrincipal, accounts: AccountsService
) -> AccountOut:
    return _out(accounts.open(principal, body.type, body.currency, body.owner))


@router.get("", summary="Your own accounts")
def list_accounts(
    principal: CurrentPrincipal,
    cursor: PageCursor,
    accounts: AccountsService,
    limit: Limit = 20,
) -> CursorPage[AccountOut]:
    items, last = accounts.list_own(principal, limit=limit, after=cursor.start)
    return cursor.answer([_out(a) for a in items], last)


@router.get("/{account_id}", summary="One account")
def get_account(
    account_id: str, principal: CurrentPrincipal, accounts: AccountsService
) -> AccountOut:
    return _out(accounts.get(principal, account_id))


@router.get("/{account_id}/balance", summary="An account's balance")
def get_balance(
    account_id: str, principal: CurrentPrincipal, accounts: AccountsService
) -> BalanceOut:
    account = accounts.get(principal, account_id)
    return BalanceOut(account_id=account.id, balance=account.balance, currency=account.currency)


@router.post("/{account_id}/freeze", summary="Freeze an account (teller, admin)")
def freeze(account_id: str, principal: CurrentPrincipal, accounts: AccountsService) -> AccountOut:
    return _out(accounts.set_frozen(principal, account_id, frozen=True))


@router.post("/{account_id}/unfreeze", summary="Unfreeze an account (teller, admin)")
def unfreeze(account_id: str, principal: CurrentPrincipal, accounts: AccountsService) -> AccountOut:
    return _out(accounts.set_frozen(principal, account_id, frozen=False))


@router.post("/{account_id}/transactions", status_code=201, summary="Deposit or withdraw")
def post_transaction(
    account_id: str, body: PostTransaction, principal: CurrentPrincipal, accounts: AccountsService
) -> TransactionOut:
    account, entry = accounts.post(
        principal, account_id, body.kind, Money(body.amount, body.currency), body.reference
    )
    return TransactionOut(
        account=_out(account),
        entry=LedgerEntryOut.model_validate(entry, from_attributes=True),
    )


@router.get("/{account_id}/transactions", summary="The ledger, newest first")
def ledger(
    account_id: str,
    principal: CurrentPrincipal,
    cursor: PageCursor,
    accounts: AccountsService,
    limit: Limit = 20,
) -> CursorPage[LedgerEntryOut]:
    entries, last = accounts.ledger(principal, account_id, limit=limit, before=cursor.start)
    return cursor.answer(
        [LedgerEntryOut.model_validate(e, from_attributes=True) for e in entries], last
    )


@router.put(
    "/{account_id}/mandates/{merchant_account_id}",
    response_model=MandateOut,
    summary="Let a merchant pull payments up to a maximum each from this account",
)
def grant_mandate(
    account_id: str,
    merchant_account_id: str,
    body: GrantMandate,
    principal: CurrentPrincipal,
    accounts: AccountsService,
) -> MandateOut:
    mandate = accounts.set_mandate(
        principal,
        account_id,
        merchant_account_id,
        max_amount=body.max_amount,
        currency=body.currency,
        active=True,
    )
    return MandateOut.model_validate(mandate, from_attributes=True)


@router.delete(
    "/{account_id}/mandates/{merchant_account_id}",
    status_code=204,
    summary="Revoke a merchant's mandate",
)
def revoke_mandate(
    account_id: str,
    merchant_account_id: str,
    principal: CurrentPrincipal,
    accounts: AccountsService,
) -> Response:
    accounts.revoke_mandate(principal, account_id, merchant_account_id)
    return Response(status_code=204)
