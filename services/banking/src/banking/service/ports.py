"""What banking's use cases need of storage: one port per aggregate, plus the ledger that
commits movements. ``adapters/`` implements them on DynamoDB; the unit tests in memory.

Not-found rule: ``get_*`` raises the domain's not-found error, ``find_*`` returns None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lift_core.audit import Staged

from banking.domain.accounts import Account, AccountStatus
from banking.domain.mandates import Mandate
from banking.domain.operations import Movement, Operation, PaymentMark, RefundClaim
from banking.domain.payments import LedgerEntry, MerchantOrder


class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...

    def get(self, tenant_id: str, account_id: str) -> Account:
        """Raises ``AccountNotFound``."""
        ...

    def get_many(self, tenant_id: str, account_ids: Sequence[str]) -> dict[str, Account]:
        """Several accounts in one round trip (consistent reads); unknown ids are absent."""
        ...

    def of_owner(
        self, tenant_id: str, owner: str, *, limit: int, after: str | None
    ) -> tuple[list[Account], str | None]:
        """A page of the owner's accounts and the id to continue after (None: the end)."""
        ...

    def set_status(self, tenant_id: str, account_id: str, status: AccountStatus) -> Account:
        """Raises ``AccountNotFound``."""
        ...


class OperationRepository(Protocol):
    def find(self, tenant_id: str, op_id: str) -> Operation | None: ...

    def has_paid(self, tenant_id: str, payer_account_id: str, merchant_account_id: str) -> bool:
        """Whether a payment of the payer to this payee was ever captured: one read, not a
        scan of the payer's history."""
        ...

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
        """Set the payment's order, with its audit event and ``also``, atomically, if the
        payment still holds ``previous``; False (nothing written) when it does not."""
        ...

    def save_mandate(self, mandate: Mandate) -> None: ...

    def find_mandate(
        self, tenant_id: str, payer_account_id: str, merchant_account_id: str
    ) -> Mandate | None: ...


@dataclass(frozen=True, slots=True)
class PaymentReads:
    """Everything a payment decides on, read together."""

    payer: Account | None
    merchant: Account | None
    mandate: Mandate | None  # the payer's mandate to this merchant
    paid_before: bool  # a payment of the payer to this merchant was captured before


class Ledger(Protocol):
    def payment_reads(
        self, tenant_id: str, payer_account_id: str, merchant_account_id: str
    ) -> PaymentReads:
        """Both accounts (the payer's with its ``recent_payments``), the mandate and the
        has-paid marker in one round trip."""
        ...

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
        """Apply every movement (``Account.moved``), its ledger entries, the operation, the
        refund claim and the payer's ``mark`` atomically, or none of it, with the ``audit``
        event that records it when one is staged and the ``events`` it publishes. No
        movement: the operation moves no money (a declined payment). Raises the rule that
        refused it, ``DuplicateOperation`` when the operation id exists, or ``StaleRead``."""
        ...

    def entries(
        self, tenant_id: str, account_id: str, *, limit: int, before: str | None
    ) -> tuple[list[LedgerEntry], str | None]:
        """Newest first; the entry id to continue before (None: the end)."""
        ...

    def balance_of(self, tenant_id: str, account_id: str) -> int:
        """The sum of the account's ledger entries (what its balance must equal)."""
        ...


@dataclass(frozen=True)
class Storage:
    """Every port together: what each use case is built with."""

    accounts: AccountRepository
    operations: OperationRepository
    ledger: Ledger
