"""Use cases on accounts: open, read, list, freeze and unfreeze, deposit and withdraw,
mandates and the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal

from banking.domain.accounts import STAFF_ROLES, Account, AccountStatus, AccountType
from banking.domain.exceptions import AccountNotFound, CurrencyMismatch, NotPermitted
from banking.domain.mandates import Mandate
from banking.domain.money import Money
from banking.domain.operations import Movement, Operation
from banking.domain.payments import LedgerEntry
from banking.service.ports import Storage


@dataclass(frozen=True, slots=True)
class Rules:
    daily_debit_limit: int


class Accounts:
    def __init__(
        self,
        storage: Storage,
        audit: AuditLog,
        rules: Rules,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self.accounts = storage.accounts
        self.operations = storage.operations
        self.book = storage.ledger
        self.audit = audit
        self.rules = rules
        self.clock = clock

    def today(self) -> str:
        return self.clock().date().isoformat()

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
            created_at=iso(self.clock()),
        )
        self.accounts.add(account)
        self.audit.record(
            "account.open",
            f"account/{account.id}",
            "success",
            {"type": account_type.value, "currency": currency, "owner": account.owner},
        )
        return account

    def get(self, principal: Principal, account_id: str, *, audit_read: bool = True) -> Account:
        """The caller's account (staff: any of the tenant's); anyone else's is not found."""
        try:
            account = self.accounts.get(principal.tenant_id, account_id)
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
        return self.accounts.of_owner(
            principal.tenant_id, principal.subject, limit=limit, after=after
        )

    def set_frozen(self, principal: Principal, account_id: str, frozen: bool) -> Account:
        if principal.roles.isdisjoint(STAFF_ROLES):
            raise NotPermitted("freezing accounts needs the teller or admin role")
        self.accounts.get(principal.tenant_id, account_id)
        status = AccountStatus.FROZEN if frozen else AccountStatus.ACTIVE
        account = self.accounts.set_status(principal.tenant_id, account_id, status)
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
        merchant = self.accounts.get(principal.tenant_id, merchant_id)
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
            created_at=iso(self.clock()),
        )
        self.operations.save_mandate(mandate)
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
        mandate = self.operations.find_mandate(principal.tenant_id, account_id, merchant_id)
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
        return self.book.entries(principal.tenant_id, account_id, limit=limit, before=before)

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
            created_at=iso(self.clock()),
            body={"account_id": account_id, "reference": reference},
        )
        movement = Movement(
            account,
            delta,
            kind,
            op.op_id,
            daily_limit=self.rules.daily_debit_limit if delta < 0 else None,
        )
        details = {"amount": money.amount, "currency": money.currency}
        try:
            self.audit.record(
                f"account.{kind}",
                f"account/{account_id}",
                "success",
                {**details, "op": op.op_id},
                within=lambda staged: self.book.commit(
                    [movement], op, day=self.today(), audit=staged
                ),
            )
        except Exception:
            self.audit.record(f"account.{kind}", f"account/{account_id}", "failure", details)
            raise
        updated = self.accounts.get(principal.tenant_id, account_id)
        entry = LedgerEntry(
            account_id,
            op.op_id,
            delta,
            money.currency,
            kind,
            op.op_id,
            op.created_at,
        )
        return updated, entry
