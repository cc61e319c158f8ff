"""Use cases on accounts: open, read, list, freeze and unfreeze, deposit and withdraw."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from lift_core.audit import AuditRecorder
from lift_core.context import Principal

from banking.adapters.repository import DynamoBank, Movement, Operation
from banking.domain.accounts import STAFF_ROLES, Account, AccountStatus, AccountType
from banking.domain.exceptions import AccountNotFound, CurrencyMismatch, NotPermitted
from banking.domain.mandates import Mandate
from banking.domain.money import Money
from banking.domain.payments import LedgerEntry


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def today() -> str:
    return datetime.now(UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class Rules:
    daily_debit_limit: int


class Accounts:
    def __init__(self, bank: DynamoBank, audit: AuditRecorder, rules: Rules) -> None:
        self.bank = bank
        self.audit = audit
        self.rules = rules

    def open(
        self, principal: Principal, account_type: AccountType, currency: str, owner: str | None
    ) -> Account:
        if owner and owner != principal.subject and principal.roles.isdisjoint(STAFF_ROLES):
            raise NotPermitted("only tellers and admins open accounts for someone else")
        Money(1, currency)  # validates the currency code
        account = Account(
            id=f"acc_{uuid.uuid4().hex}",
            tenant_id=principal.tenant_id,
            owner=owner or principal.subject,
            type=account_type,
            currency=currency,
            status=AccountStatus.ACTIVE,
            balance=0,
            created_at=now_iso(),
        )
        self.bank.add_account(account)
        self.audit.record(
            "account.open",
            f"account/{account.id}",
            "success",
            {"type": account_type.value, "currency": currency, "owner": account.owner},
        )
        return account

    def get(self, principal: Principal, account_id: str, *, audit_read: bool = True) -> Account:
        try:
            account = self.bank.account(principal.tenant_id, account_id)
            if not account.visible_to(principal.subject, principal.roles):
                raise AccountNotFound(account_id)
        except AccountNotFound:
            if audit_read:
                self.audit.record("account.read", f"account/{account_id}", "denied")
            raise
        if audit_read:
            self.audit.record("account.read", f"account/{account_id}", "success")
        return account

    def list_own(
        self, principal: Principal, *, limit: int, after: str | None
    ) -> tuple[list[Account], str | None]:
        return self.bank.accounts_of(
            principal.tenant_id, principal.subject, limit=limit, after=after
        )

    def set_frozen(self, principal: Principal, account_id: str, frozen: bool) -> Account:
        if principal.roles.isdisjoint(STAFF_ROLES):
            raise NotPermitted("freezing accounts needs the teller or admin role")
        self.bank.account(principal.tenant_id, account_id)
        status = AccountStatus.FROZEN if frozen else AccountStatus.ACTIVE
        account = self.bank.set_status(principal.tenant_id, account_id, status)
        self.audit.record(
            "account.freeze" if frozen else "account.unfreeze", f"account/{account_id}", "success"
        )
        return account

    def set_mandate(
        self,
        principal: Principal,
        account_id: str,
        merchant_id: str,
        *,
        max_amount: int,
        currency: str,
        active: bool,
    ) -> Mandate:
        """Grant (or revoke) the owner of ``merchant_id`` the right to charge this account."""
        account = self.get(principal, account_id, audit_read=False)
        merchant = self.bank.account(principal.tenant_id, merchant_id)
        if merchant.type is not AccountType.MERCHANT:
            raise AccountNotFound(f"{merchant_id} is not a merchant account")
        if currency != account.currency:
            raise CurrencyMismatch(f"the account holds {account.currency}")
        Money(max_amount, currency)
        mandate = Mandate(
            tenant_id=principal.tenant_id,
            payer_account_id=account_id,
            merchant_account_id=merchant_id,
            max_amount=max_amount,
            currency=currency,
            active=active,
            created_at=now_iso(),
        )
        self.bank.save_mandate(mandate)
        self.audit.record(
            "mandate.grant" if active else "mandate.revoke",
            f"account/{account_id}",
            "success",
            {"merchant": merchant_id, "max_amount": max_amount, "currency": currency},
        )
        return mandate

    def revoke_mandate(self, principal: Principal, account_id: str, merchant_id: str) -> None:
        """Idempotent: revoking twice, or a mandate never granted, leaves none active."""
        account = self.get(principal, account_id, audit_read=False)
        mandate = self.bank.mandate(principal.tenant_id, account_id, merchant_id)
        self.set_mandate(
            principal,
            account_id,
            merchant_id,
            max_amount=mandate.max_amount if mandate else 1,
            currency=account.currency,
            active=False,
        )

    def ledger(
        self, principal: Principal, account_id: str, *, limit: int, before: str | None
    ) -> tuple[list[LedgerEntry], str | None]:
        self.get(principal, account_id)
        return self.bank.entries(principal.tenant_id, account_id, limit=limit, before=before)

    def post(
        self, principal: Principal, account_id: str, kind: str, money: Money, reference: str
    ) -> tuple[Account, LedgerEntry]:
        """A deposit or a withdrawal: one ledger entry and the balance, atomically."""
        account = self.get(principal, account_id, audit_read=False)
        if money.currency != account.currency:
            raise CurrencyMismatch(f"the account holds {account.currency}")
        delta = money.amount if kind == "deposit" else -money.amount
        op = Operation(
            tenant_id=principal.tenant_id,
            op_id=f"txn_{uuid.uuid4().hex}",
            kind=kind,
            fingerprint="",
            amount=money.amount,
            status="posted",
            created_at=now_iso(),
            body={"account_id": account_id, "reference": reference},
        )
        movement = Movement(
            account,
            delta,
            kind,
            op.op_id,
            daily_limit=self.rules.daily_debit_limit if delta < 0 else None,
        )
        try:
            self.bank.commit([movement], op, day=today())
        except Exception:
            self.audit.record(
                f"account.{kind}",
                f"account/{account_id}",
                "failure",
                {"amount": money.amount, "currency": money.currency},
            )
            raise
        self.audit.record(
            f"account.{kind}",
            f"account/{account_id}",
            "success",
            {"amount": money.amount, "currency": money.currency, "op": op.op_id},
        )
        updated = self.bank.account(principal.tenant_id, account_id)
        entry = LedgerEntry(
            account_id,
            op.op_id,
            delta,
            money.currency,
            kind,
            op.op_id,
            updated.balance,
            op.created_at,
        )
        return updated, entry
