"""The ledger on DynamoDB: every money movement is one transaction.

A movement updates each account's balance with a condition (active, enough funds, daily
debit limit: what ``Account.moved`` decides) and writes its ledger entry in the same
``TransactWriteItems``, together with the operation record (claimed by its
idempotency-derived id) and any refund counter it moves. Either all of it happens or none:
balances always equal the sum of their ledger entries, and a duplicate submission cannot
move money twice. The audit event that records the operation is one more item of the same
transaction.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from lift_core.audit import Staged
from lift_core.dynamo import get_items, transaction_connection

from banking.adapters.accounts import DynamoAccounts, account_of
from banking.adapters.models import AccountModel, BankTables
from banking.adapters.operations import DynamoOperations, mandate_of, operation_of, paid_id
from banking.domain.accounts import AccountStatus
from banking.domain.exceptions import DailyLimitExceeded, RefundExceedsCapture
from banking.domain.mandates import mandate_id
from banking.domain.operations import (
    DuplicateOperation,
    Movement,
    Operation,
    PaymentMark,
    RefundClaim,
    StaleRead,
)
from banking.domain.payments import LedgerEntry
from banking.service.ports import PaymentReads


class DynamoLedger:
    def __init__(self, tables: BankTables, *, attempts: int = 5) -> None:
        self.tables = tables
        self.accounts = DynamoAccounts(tables.accounts)
        self._connection = transaction_connection(tables.accounts)
        self.operations = DynamoOperations(tables.operations, self._connection)
        self.attempts = attempts

    def payment_reads(
        self, tenant_id: str, payer_account_id: str, merchant_account_id: str
    ) -> PaymentReads:
        accounts, ops = self.tables.accounts, self.tables.operations
        payer, merchant, mandate, paid = get_items(
            [
                (accounts, tenant_id, payer_account_id),
                (accounts, tenant_id, merchant_account_id),
                (ops, tenant_id, mandate_id(payer_account_id, merchant_account_id)),
                (ops, tenant_id, paid_id(payer_account_id, merchant_account_id)),
            ]
        )
        return PaymentReads(
            payer=account_of(payer) if payer is not None else None,
            merchant=account_of(merchant) if merchant is not None else None,
            mandate=mandate_of(operation_of(mandate)) if mandate is not None else None,
            paid_before=paid is not None,
        )

    def entries(
        self, tenant_id: str, account_id: str, *, limit: int, before: str | None
    ) -> tuple[list[LedgerEntry], str | None]:
        ledger = self.tables.ledger
        results = ledger.query(
            f"{tenant_id}#{account_id}",
            range_key_condition=ledger.entry_id < before if before else None,
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
                created_at=e.created_at,
            )
            for e in results
        ]
        more = results.last_evaluated_key is not None and len(entries) == limit
        return entries, (entries[-1].entry_id if more else None)

    def balance_of(self, tenant_id: str, account_id: str) -> int:
        return sum(
            int(e.amount)
            for e in self.tables.ledger.query(f"{tenant_id}#{account_id}", consistent_read=True)
        )

    def commit(
        self,
        movements: Sequence[Movement],
        operation: Operation,
        *,
        day: str,
        refund: RefundClaim | None = None,
        audit: Staged | None = None,
        events: Sequence[Staged] = (),
        mark: PaymentMark | None = None,
    ) -> None:
        """A transaction that failed only because what it read went stale (another debit
        set the day's total first, another payment joined the payer's recent ones) is
        rebuilt from fresh reads and tried again."""
        for attempt in range(self.attempts):
            try:
                self._commit_once(
                    movements, operation, day=day, refund=refund, mark=mark, also=(*events, audit)
                )
                return
            except StaleRead:
                if attempt == self.attempts - 1:
                    raise
                fresh = self.accounts.get_many(
                    operation.tenant_id,
                    [m.account.id for m in movements] + ([mark.payer.id] if mark else []),
                )
                movements = [dataclasses.replace(m, account=fresh[m.account.id]) for m in movements]
                if mark is not None:
                    mark = dataclasses.replace(mark, payer=fresh[mark.payer.id])

    def _commit_once(
        self,
        movements: Sequence[Movement],
        operation: Operation,
        *,
        day: str,
        refund: RefundClaim | None,
        mark: PaymentMark | None,
        also: Sequence[Staged | None],
    ) -> None:
        """``also``: the audit event and the events to publish, items of the same write."""
        accounts, ops = self.tables.accounts, self.tables.operations
        updates = {m.account.id: _conditions(m, day, accounts) for m in movements}
        if len(updates) < len(movements):  # the use cases refuse it (SameAccount) first
            raise ValueError("one account in two movements would lose one of them")
        if mark is not None:  # the payer's update, when it moves money, carries the mark too
            actions, condition = updates.get(mark.payer.id, ([], accounts.account_id.exists()))
            remember, unchanged = _remembered(mark, accounts)
            updates[mark.payer.id] = ([*actions, remember], condition & unchanged)
        try:
            with TransactWrite(connection=self._connection) as tx:
                for account_id, (actions, condition) in updates.items():
                    tx.update(
                        accounts(operation.tenant_id, account_id),
                        actions=actions,
                        condition=condition,
                    )
                for m in movements:
                    tx.save(
                        self.tables.ledger(
                            f"{m.account.tenant_id}#{m.account.id}",
                            f"{operation.created_at}#{uuid.uuid4().hex[:8]}",
                            amount=m.delta,
                            currency=m.account.currency,
                            kind=m.kind,
                            reference=m.reference,
                            created_at=operation.created_at,
                        )
                    )
                tx.save(self.operations.item(operation), condition=ops.op_id.does_not_exist())
                marker = self.operations.paid(operation)
                if marker is not None:
                    tx.save(marker)
                if refund is not None:
                    tx.update(
                        ops(refund.tenant_id, refund.payment_id),
                        actions=[ops.refunded.add(refund.amount)],
                        condition=ops.refunded <= refund.captured - refund.amount,
                    )
                for item in also:
                    if item is not None:
                        item.add_to(tx)
        except TransactWriteError as exc:
            if not any(item.lost_race() for item in also if item is not None):
                self._explain(exc, movements, operation, day, refund)
            raise  # lost the audit chain's head: the audit log tries again

    def _explain(
        self,
        exc: TransactWriteError,
        movements: Sequence[Movement],
        operation: Operation,
        day: str,
        refund: RefundClaim | None,
    ) -> None:
        """Turn a cancelled transaction into the business error it stands for.

        Read from the current state rather than from the cancellation reasons' positions,
        which emulators do not all report faithfully.
        """
        if exc.cause_response_code != "TransactionCanceledException":
            return
        if self.operations.find(operation.tenant_id, operation.op_id) is not None:
            raise DuplicateOperation(operation.op_id) from exc
        for m in movements:
            current = self.accounts.get(m.account.tenant_id, m.account.id)
            current.moved(m.delta, day=day, daily_limit=m.daily_limit)  # raises the rule
        if refund is not None:
            payment = self.operations.find(refund.tenant_id, refund.payment_id)
            if payment is not None and payment.body["refunded"] + refund.amount > refund.captured:
                raise RefundExceedsCapture("the refund would exceed what was captured") from exc
        # Otherwise a concurrent change made our read stale (a balance or the debit day
        # moved): the caller may retry with fresh reads.
        raise StaleRead("the accounts changed while the operation was prepared") from exc


def _remembered(mark: PaymentMark, accounts: type[AccountModel]) -> tuple[Action, Any]:
    """The update that adds the payment to the payer's ``recent_payments``, and the
    condition that they are still what the payment read (a concurrent payment's write fails
    it, and the commit is retried from fresh reads)."""
    seen = accounts.recent_payments
    read = list(mark.payer.recent_payments)
    return seen.set(list(mark.recent())), (seen == read if read else seen.does_not_exist())


def _conditions(m: Movement, day: str, accounts: type[AccountModel]) -> tuple[list[Action], Any]:
    """The update and condition that make DynamoDB apply ``Account.moved`` atomically."""
    actions: list[Action] = [accounts.balance.add(m.delta)]
    condition = accounts.account_id.exists() & (accounts.currency == m.account.currency)
    if m.delta >= 0:
        return actions, condition & (accounts.status != AccountStatus.CLOSED.value)
    condition &= (accounts.status == AccountStatus.ACTIVE.value) & (accounts.balance >= -m.delta)
    if m.daily_limit is None:
        return actions, condition
    # Debits count against a per-day total kept on the account item. Which update applies
    # depends on the day the item last saw; the condition re-checks it, so a stale read
    # fails the transaction instead of resetting someone else's total.
    amount, limit = -m.delta, m.daily_limit
    if amount > limit:
        raise DailyLimitExceeded(f"{amount} is over the daily debit limit of {limit}")
    if m.account.debit_day == day:
        actions.append(accounts.debited_today.add(amount))
        return actions, condition & (accounts.debit_day == day) & (
            accounts.debited_today <= limit - amount
        )
    actions += [accounts.debit_day.set(day), accounts.debited_today.set(amount)]
    return actions, condition & (accounts.debit_day != day)
