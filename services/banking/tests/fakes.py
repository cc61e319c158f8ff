"""In-memory implementations of banking's ports, for use-case unit tests.

They keep the contracts the DynamoDB adapters keep (the integration suites prove those on
the emulator): ``get_*`` raises, ``find_*`` returns None, and a ledger commit applies every
movement through ``Account.moved`` and claims the operation id atomically, or changes nothing.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

from lift_core.audit import Staged

from banking.domain.accounts import Account, AccountStatus
from banking.domain.exceptions import AccountNotFound, RefundExceedsCapture
from banking.domain.mandates import Mandate
from banking.domain.operations import (
    DuplicateOperation,
    Movement,
    Operation,
    PaymentMark,
    RefundClaim,
)
from banking.domain.payments import LedgerEntry, MerchantOrder
from banking.service.ports import PaymentReads


class InMemoryAccounts:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Account] = {}

    def add(self, account: Account) -> None:
        if (account.tenant_id, account.id) in self.items:
            raise ValueError(f"{account.id} exists")
        self.items[(account.tenant_id, account.id)] = account

    def get(self, tenant_id: str, account_id: str) -> Account:
        try:
            return self.items[(tenant_id, account_id)]
        except KeyError:
            raise AccountNotFound(account_id) from None

    def get_many(self, tenant_id: str, account_ids: Sequence[str]) -> dict[str, Account]:
        return {i: self.items[(tenant_id, i)] for i in account_ids if (tenant_id, i) in self.items}

    def of_owner(
        self, tenant_id: str, owner: str, *, limit: int, after: str | None
    ) -> tuple[list[Account], str | None]:
        mine = sorted(
            (a for (t, _), a in self.items.items() if t == tenant_id and a.owner == owner),
            key=lambda a: a.id,
        )
        mine = [a for a in mine if after is None or a.id > after]
        page = mine[:limit]
        return page, (page[-1].id if len(mine) > limit else None)

    def set_status(self, tenant_id: str, account_id: str, status: AccountStatus) -> Account:
        account = dataclasses.replace(self.get(tenant_id, account_id), status=status)
        self.items[(tenant_id, account_id)] = account
        return account


class InMemoryOperations:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Operation] = {}
        self.mandates: dict[tuple[str, str, str], Mandate] = {}

    def find(self, tenant_id: str, op_id: str) -> Operation | None:
        return self.items.get((tenant_id, op_id))

    def put(self, operation: Operation) -> None:
        body = {**operation.body, "refunded": operation.body.get("refunded", 0)}
        self.items[(operation.tenant_id, operation.op_id)] = dataclasses.replace(
            operation, body=body
        )

    def has_paid(self, tenant_id: str, payer_account_id: str, merchant_account_id: str) -> bool:
        return any(
            t == tenant_id
            and op.kind == "payment"
            and op.body["payer_account_id"] == payer_account_id
            and op.body["merchant_account_id"] == merchant_account_id
            and op.status != "declined"
            for (t, _), op in self.items.items()
        )

    def note_order(
        self,
        tenant_id: str,
        payment_id: str,
        order: MerchantOrder,
        *,
        previous: MerchantOrder | None,
        audit: Staged,
        also: Sequence[Staged] = (),
    ) -> bool:
        op = self.items.get((tenant_id, payment_id))
        if op is None or op.kind != "payment":
            return False
        held = op.body.get("order")
        if (held and held["status"]) != (previous and previous.status.value):
            return False
        self.items[(tenant_id, payment_id)] = dataclasses.replace(
            op, body={**op.body, "order": order.stored()}
        )
        for item in (audit, *also):
            item.add_to(None)
        return True

    def save_mandate(self, mandate: Mandate) -> None:
        key = (mandate.tenant_id, mandate.payer_account_id, mandate.merchant_account_id)
        self.mandates[key] = mandate

    def find_mandate(
        self, tenant_id: str, payer_account_id: str, merchant_account_id: str
    ) -> Mandate | None:
        return self.mandates.get((tenant_id, payer_account_id, merchant_account_id))


class InMemoryLedger:
    def __init__(self, accounts: InMemoryAccounts, operations: InMemoryOperations) -> None:
        self.accounts = accounts
        self.operations = operations
        self.lines: dict[tuple[str, str], list[LedgerEntry]] = {}
        self.sequence = itertools.count()

    def payment_reads(
        self, tenant_id: str, payer_account_id: str, merchant_account_id: str
    ) -> PaymentReads:
        return PaymentReads(
            payer=self.accounts.items.get((tenant_id, payer_account_id)),
            merchant=self.accounts.items.get((tenant_id, merchant_account_id)),
            mandate=self.operations.find_mandate(tenant_id, payer_account_id, merchant_account_id),
            paid_before=self.operations.has_paid(tenant_id, payer_account_id, merchant_account_id),
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
        if self.operations.find(operation.tenant_id, operation.op_id) is not None:
            raise DuplicateOperation(operation.op_id)
        if len({m.account.id for m in movements}) < len(movements):
            raise ValueError("one account in two movements would lose one of them")
        moved = [
            self.accounts.get(m.account.tenant_id, m.account.id).moved(
                m.delta, day=day, daily_limit=m.daily_limit
            )
            for m in movements
        ]
        if mark is not None:
            payer = self.accounts.get(mark.payer.tenant_id, mark.payer.id)
            mover = next((i for i, a in enumerate(moved) if a.id == payer.id), None)
            recent = mark.recent()  # from the payer as read, as the adapter's write
            if mover is None:
                moved.append(dataclasses.replace(payer, recent_payments=recent))
            else:
                moved[mover] = dataclasses.replace(moved[mover], recent_payments=recent)
        payment = None
        if refund is not None:
            payment = self.operations.find(refund.tenant_id, refund.payment_id)
            assert payment is not None
            if payment.body["refunded"] + refund.amount > refund.captured:
                raise RefundExceedsCapture("the refund would exceed what was captured")
        # Every rule held: apply all of it.
        for account in moved:
            self.accounts.items[(account.tenant_id, account.id)] = account
        for account, m in zip(moved, movements, strict=False):  # the mark moves no money
            self.lines.setdefault((account.tenant_id, account.id), []).append(
                LedgerEntry(
                    account.id,
                    f"{operation.created_at}#{next(self.sequence):06d}",
                    m.delta,
                    account.currency,
                    m.kind,
                    m.reference,
                    operation.created_at,
                )
            )
        self.operations.put(operation)
        if refund is not None and payment is not None:
            refunded = payment.body["refunded"] + refund.amount
            self.operations.put(
                dataclasses.replace(payment, body={**payment.body, "refunded": refunded})
            )
        for item in events:  # committed: what the transaction carried is published
            item.add_to(None)

    def entries(
        self, tenant_id: str, account_id: str, *, limit: int, before: str | None
    ) -> tuple[list[LedgerEntry], str | None]:
        newest = sorted(self.lines.get((tenant_id, account_id), []), key=lambda e: e.entry_id)
        newest.reverse()
        newest = [e for e in newest if before is None or e.entry_id < before]
        page = newest[:limit]
        return page, (page[-1].entry_id if len(newest) > limit else None)

    def balance_of(self, tenant_id: str, account_id: str) -> int:
        return sum(e.amount for e in self.lines.get((tenant_id, account_id), []))
