"""The banking repository on DynamoDB: every money movement is one transaction.

A movement updates each account's balance with a condition (active, enough funds, daily
debit limit) and writes its ledger entry in the same ``TransactWriteItems``, together with
the operation record (claimed by its idempotency-derived id) and any counter it moves.
Either all of it happens or none: balances always equal the sum of their ledger entries,
and a duplicate submission cannot move money twice.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from banking.adapters.models import AccountModel, LedgerModel, OperationModel
from banking.domain.accounts import Account, AccountStatus, AccountType
from banking.domain.exceptions import (
    AccountNotActive,
    AccountNotFound,
    DailyLimitExceeded,
    InsufficientFunds,
    RefundExceedsCapture,
)
from banking.domain.mandates import Mandate, mandate_id
from banking.domain.payments import LedgerEntry


@dataclass(frozen=True, slots=True)
class Movement:
    account: Account  # as read just before; the write re-checks everything it relies on
    delta: int  # signed minor units
    kind: str
    reference: str
    daily_limit: int | None = None  # applied to debits when set


@dataclass(frozen=True, slots=True)
class Operation:
    tenant_id: str
    op_id: str
    kind: str
    fingerprint: str
    amount: int
    status: str
    created_at: str
    body: dict[str, Any]
    payer_key: str | None = None


@dataclass(frozen=True, slots=True)
class RefundClaim:
    """Raise a payment's refunded total, never past what was captured."""

    tenant_id: str
    payment_id: str
    amount: int
    captured: int


class StaleRead(Exception):
    """A condition failed only because the state read before the write moved on."""


class DuplicateOperation(Exception):
    """The operation id exists: the same Idempotency-Key was used before."""


@dataclass(frozen=True, slots=True)
class BankTables:
    accounts: type[AccountModel]
    ledger: type[LedgerModel]
    operations: type[OperationModel]

    def all(self) -> list[type[Any]]:
        return [self.accounts, self.ledger, self.operations]


class DynamoBank:
    def __init__(self, tables: BankTables) -> None:
        self.t = tables
        meta = tables.accounts.Meta
        self._connection = Connection(
            region=getattr(meta, "region", None), host=getattr(meta, "host", None)
        )

    # -- accounts -----------------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        self.t.accounts(
            account.tenant_id,
            account.id,
            tenant_owner=f"{account.tenant_id}#{account.owner}",
            owner=account.owner,
            type=account.type.value,
            currency=account.currency,
            status=account.status.value,
            balance=account.balance,
            created_at=account.created_at,
        ).save(condition=self.t.accounts.account_id.does_not_exist())

    def account(self, tenant_id: str, account_id: str) -> Account:
        try:
            item = self.t.accounts.get(tenant_id, account_id, consistent_read=True)
        except DoesNotExist:
            raise AccountNotFound(account_id) from None
        return _account(item)

    def accounts_of(
        self, tenant_id: str, owner: str, *, limit: int, after: str | None
    ) -> tuple[list[Account], str | None]:
        results = self.t.accounts.owner_index.query(
            f"{tenant_id}#{owner}",
            limit=limit,
            last_evaluated_key=(
                {
                    "tenant_owner": {"S": f"{tenant_id}#{owner}"},
                    "account_id": {"S": after},
                    "tenant_id": {"S": tenant_id},
                }
                if after
                else None
            ),
        )
        items = [_account(i) for i in results]
        last = results.last_evaluated_key
        return items, (last["account_id"]["S"] if last else None)

    def set_status(self, tenant_id: str, account_id: str, status: AccountStatus) -> Account:
        item = self.t.accounts(tenant_id, account_id)
        try:
            item.update(
                actions=[self.t.accounts.status.set(status.value)],
                condition=self.t.accounts.account_id.exists(),
            )
        except Exception as exc:
            if "ConditionalCheckFailed" in str(getattr(exc, "cause_response_code", "")):
                raise AccountNotFound(account_id) from exc
            raise
        return self.account(tenant_id, account_id)

    # -- ledger -------------------------------------------------------------------------

    def entries(
        self, tenant_id: str, account_id: str, *, limit: int, before: str | None
    ) -> tuple[list[LedgerEntry], str | None]:
        condition = self.t.ledger.entry_id < before if before else None
        results = self.t.ledger.query(
            f"{tenant_id}#{account_id}",
            range_key_condition=condition,
            scan_index_forward=False,
            limit=limit,
        )
        entries = [
            LedgerEntry(
                account_id=account_id,
                entry_id=e.entry_id,
                amount=int(e.amount),
                currency=e.currency,
                kind=e.kind,
                reference=e.reference,
                balance_after=None,
                created_at=e.created_at,
            )
            for e in results
        ]
        more = results.last_evaluated_key is not None and len(entries) == limit
        return entries, (entries[-1].entry_id if more else None)

    def ledger_sum(self, tenant_id: str, account_id: str) -> int:
        return sum(
            int(e.amount)
            for e in self.t.ledger.query(f"{tenant_id}#{account_id}", consistent_read=True)
        )

    # -- operations ---------------------------------------------------------------------

    def operation(self, tenant_id: str, op_id: str) -> Operation | None:
        try:
            item = self.t.operations.get(tenant_id, op_id, consistent_read=True)
        except DoesNotExist:
            return None
        return Operation(
            tenant_id=item.tenant_id,
            op_id=item.op_id,
            kind=item.kind,
            fingerprint=item.fingerprint,
            amount=int(item.amount),
            status=item.status,
            created_at=item.created_at,
            body={**item.body, "refunded": int(item.refunded)},
            payer_key=item.payer_key,
        )

    def count_payments_by_payer(self, tenant_id: str, payer_account_id: str, since: str) -> int:
        """Payments of the payer since ``since`` (the fraud velocity rule): one count query,
        not a read per payment."""
        return int(
            self.t.operations.payer_index.count(
                f"{tenant_id}#{payer_account_id}",
                range_key_condition=self.t.operations.created_at >= since,
            )
        )

    def has_paid(self, tenant_id: str, payer_account_id: str, merchant_account_id: str) -> bool:
        for item in self.t.operations.payer_index.query(f"{tenant_id}#{payer_account_id}"):
            if (
                item.body.get("merchant_account_id") == merchant_account_id
                and item.status != "declined"
            ):
                return True
        return False

    # -- mandates (kept with the operations: one more item kind, no new table) -------------

    def save_mandate(self, mandate: Mandate) -> None:
        self.t.operations(
            mandate.tenant_id,
            mandate_id(mandate.payer_account_id, mandate.merchant_account_id),
            kind="mandate",
            fingerprint="",
            created_at=mandate.created_at,
            amount=mandate.max_amount,
            status="active" if mandate.active else "revoked",
            body={
                "payer_account_id": mandate.payer_account_id,
                "merchant_account_id": mandate.merchant_account_id,
                "currency": mandate.currency,
            },
        ).save()

    def mandate(
        self, tenant_id: str, payer_account_id: str, merchant_account_id: str
    ) -> Mandate | None:
        op = self.operation(tenant_id, mandate_id(payer_account_id, merchant_account_id))
        if op is None or op.kind != "mandate":
            return None
        return Mandate(
            tenant_id=tenant_id,
            payer_account_id=payer_account_id,
            merchant_account_id=merchant_account_id,
            max_amount=op.amount,
            currency=op.body["currency"],
            active=op.status == "active",
            created_at=op.created_at,
        )

    def record(self, operation: Operation) -> None:
        """Record an operation that moves no money (a declined payment)."""
        try:
            self._operation_item(operation).save(condition=self.t.operations.op_id.does_not_exist())
        except Exception as exc:
            if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
                raise DuplicateOperation(operation.op_id) from exc
            raise

    def commit(
        self,
        movements: Sequence[Movement],
        operation: Operation,
        *,
        day: str,
        refund: RefundClaim | None = None,
        attempts: int = 5,
    ) -> None:
        """Apply every movement, its ledger entries and the operation atomically.

        A transaction that failed only because what it read went stale (another debit set
        the day's total first) is rebuilt from fresh reads and tried again.
        """
        for attempt in range(attempts):
            try:
                self._commit_once(movements, operation, day=day, refund=refund)
                return
            except StaleRead:
                if attempt == attempts - 1:
                    raise
                movements = [
                    dataclasses.replace(m, account=self.account(m.account.tenant_id, m.account.id))
                    for m in movements
                ]

    def _commit_once(
        self,
        movements: Sequence[Movement],
        operation: Operation,
        *,
        day: str,
        refund: RefundClaim | None,
    ) -> None:
        accounts = self.t.accounts
        try:
            with TransactWrite(connection=self._connection) as tx:
                for m in movements:
                    actions: list[Action] = [accounts.balance.add(m.delta)]
                    condition = accounts.account_id.exists() & (
                        accounts.currency == m.account.currency
                    )
                    if m.delta < 0:
                        condition &= (accounts.status == AccountStatus.ACTIVE.value) & (
                            accounts.balance >= -m.delta
                        )
                        if m.daily_limit is not None:
                            actions, condition = _daily_limit(m, day, actions, condition, accounts)
                    else:
                        condition &= accounts.status != AccountStatus.CLOSED.value
                    tx.update(
                        accounts(m.account.tenant_id, m.account.id),
                        actions=actions,
                        condition=condition,
                    )
                    tx.save(
                        self.t.ledger(
                            f"{m.account.tenant_id}#{m.account.id}",
                            f"{operation.created_at}#{uuid.uuid4().hex[:8]}",
                            amount=m.delta,
                            currency=m.account.currency,
                            kind=m.kind,
                            reference=m.reference,
                            created_at=operation.created_at,
                        )
                    )
                tx.save(
                    self._operation_item(operation),
                    condition=self.t.operations.op_id.does_not_exist(),
                )
                if refund is not None:
                    ops = self.t.operations
                    tx.update(
                        ops(refund.tenant_id, refund.payment_id),
                        actions=[ops.refunded.add(refund.amount)],
                        condition=ops.refunded <= refund.captured - refund.amount,
                    )
        except TransactWriteError as exc:
            self._explain(exc, movements, operation, refund)
            raise

    def _explain(
        self,
        exc: TransactWriteError,
        movements: Sequence[Movement],
        operation: Operation,
        refund: RefundClaim | None,
    ) -> None:
        """Turn a cancelled transaction into the business error it stands for.

        Read from the current state rather than from the cancellation reasons' positions,
        which emulators do not all report faithfully.
        """
        if exc.cause_response_code != "TransactionCanceledException":
            return
        if self.operation(operation.tenant_id, operation.op_id) is not None:
            raise DuplicateOperation(operation.op_id) from exc
        for m in movements:
            current = self.account(m.account.tenant_id, m.account.id)
            if m.delta < 0 and current.status is not AccountStatus.ACTIVE:
                raise AccountNotActive(f"account {current.id} is {current.status.value}") from exc
            if m.delta > 0 and current.status is AccountStatus.CLOSED:
                raise AccountNotActive(f"account {current.id} is closed") from exc
            if m.delta < 0 and current.balance < -m.delta:
                raise InsufficientFunds(f"account {current.id} cannot cover {-m.delta}") from exc
            if (
                m.delta < 0
                and m.daily_limit is not None
                and (
                    current.debit_day == m.account.debit_day
                    and current.debited_today + -m.delta > m.daily_limit
                )
            ):
                raise DailyLimitExceeded(
                    f"account {current.id} reached its daily debit limit"
                ) from exc
        if refund is not None:
            payment = self.operation(refund.tenant_id, refund.payment_id)
            if payment is not None and payment.body["refunded"] + refund.amount > refund.captured:
                raise RefundExceedsCapture("the refund would exceed what was captured") from exc
        # Otherwise a concurrent change made our read stale (a balance or the debit day
        # moved): the caller may retry with fresh reads.
        raise StaleRead("the accounts changed while the operation was prepared") from exc

    def _operation_item(self, op: Operation) -> OperationModel:
        return self.t.operations(
            op.tenant_id,
            op.op_id,
            kind=op.kind,
            fingerprint=op.fingerprint,
            payer_key=op.payer_key,
            created_at=op.created_at,
            amount=op.amount,
            refunded=0,
            status=op.status,
            body=op.body,
        )


def _daily_limit(
    m: Movement, day: str, actions: list[Action], condition: Any, accounts: type[AccountModel]
) -> tuple[list[Action], Any]:
    """Debits count against a per-day total kept on the account item. Which update applies
    depends on the day the item last saw; the condition re-checks it, so a stale read fails
    the transaction instead of resetting someone else's total."""
    amount, limit = -m.delta, m.daily_limit or 0
    if amount > limit:
        raise DailyLimitExceeded(f"{amount} is over the daily debit limit of {limit}")
    if m.account.debit_day == day:
        actions = [*actions, accounts.debited_today.add(amount)]
        condition &= (accounts.debit_day == day) & (accounts.debited_today <= limit - amount)
    else:
        actions = [*actions, accounts.debit_day.set(day), accounts.debited_today.set(amount)]
        condition &= accounts.debit_day != day
    return actions, condition


def _account(item: AccountModel) -> Account:
    account = Account(
        id=item.account_id,
        tenant_id=item.tenant_id,
        owner=item.owner,
        type=AccountType(item.type),
        currency=item.currency,
        status=AccountStatus(item.status),
        balance=int(item.balance),
        created_at=item.created_at,
        debit_day=item.debit_day,
        debited_today=int(item.debited_today),
    )
    return account
