"""Transfers between two accounts of a tenant: double entry, keyed, never overdrawing."""

from __future__ import annotations

from lift_core.context import Principal

from banking.domain.exceptions import (
    AccountNotFound,
    BankingError,
    CurrencyMismatch,
    SameAccount,
    TransferNotFound,
)
from banking.domain.money import Money
from banking.domain.operations import Movement, Operation
from banking.domain.payments import Outcome, Transfer
from banking.service.keyed import KeyedOperations, fingerprint, operation_id


class Transfers(KeyedOperations):
    def transfer(
        self,
        principal: Principal,
        *,
        key: str,
        source_id: str,
        destination_id: str,
        money: Money,
        reference: str,
    ) -> Outcome[Transfer]:
        request = {
            "source": source_id,
            "destination": destination_id,
            "amount": money.amount,
            "currency": money.currency,
            "reference": reference,
        }
        op_id = operation_id("trf", principal, "transfer", key)
        try:
            if source_id == destination_id:
                raise SameAccount("a transfer needs two different accounts")
            # Both accounts in one round trip; the source must be the caller's (staff: any).
            found = self.accounts.get_many(principal.tenant_id, (source_id, destination_id))
            source = found.get(source_id)
            if source is None or not source.visible_to(principal.subject, principal.roles):
                raise AccountNotFound(source_id)
            destination = found.get(destination_id)
            if destination is None:
                raise AccountNotFound(destination_id)
            for account in (source, destination):
                if account.currency != money.currency:
                    raise CurrencyMismatch(f"account {account.id} holds {account.currency}")
            op = Operation(
                tenant_id=principal.tenant_id,
                op_id=op_id,
                kind="transfer",
                fingerprint=fingerprint(request),
                amount=money.amount,
                status="completed",
                created_at=self.now(),
                body={
                    "id": op_id,
                    **request,
                    "source_account_id": source_id,
                    "destination_account_id": destination_id,
                },
            )
            limit = self.owners.rules.daily_debit_limit
            movements = [
                Movement(source, -money.amount, "transfer", op_id, daily_limit=limit),
                Movement(destination, money.amount, "transfer", op_id),
            ]
            done, created = self.commit(
                principal, op, movements, request=request, action="transfer"
            )
            return Outcome(Transfer.of(done), created)
        except BankingError:  # refused now; the key may have made it before: replay that
            if (stored := self.existing(principal, op_id, request)) is None:
                raise
            return Outcome(Transfer.of(stored), created=False)

    def get(self, principal: Principal, transfer_id: str) -> Transfer:
        op = self.operations.find(principal.tenant_id, transfer_id)
        if op is None or op.kind != "transfer":
            raise TransferNotFound(transfer_id)
        self.authorize_view(principal, *self.parties(op), not_found=TransferNotFound)
        return Transfer.of(op)
