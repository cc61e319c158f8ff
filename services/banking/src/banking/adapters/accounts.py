"""Accounts on DynamoDB (``banking-accounts``, with the owner index for listings)."""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import UpdateError

from lift_core.dynamo import find_item

from banking.adapters.models import AccountModel
from banking.domain.accounts import Account, AccountStatus, AccountType
from banking.domain.exceptions import AccountNotFound


class DynamoAccounts:
    def __init__(self, model: type[AccountModel]) -> None:
        self.model = model

    def add(self, account: Account) -> None:
        self.model(
            account.tenant_id,
            account.id,
            tenant_owner=f"{account.tenant_id}#{account.owner}",
            owner=account.owner,
            type=account.type.value,
            currency=account.currency,
            status=account.status.value,
            balance=account.balance,
            created_at=account.created_at,
        ).save(condition=self.model.account_id.does_not_exist())

    def get(self, tenant_id: str, account_id: str) -> Account:
        item = find_item(self.model, tenant_id, account_id)
        if item is None:
            raise AccountNotFound(account_id)
        return account_of(item)

    def get_many(self, tenant_id: str, account_ids: Sequence[str]) -> dict[str, Account]:
        keys = [(tenant_id, account_id) for account_id in dict.fromkeys(account_ids)]
        return {
            item.account_id: account_of(item)
            for item in self.model.batch_get(keys, consistent_read=True)
        }

    def of_owner(
        self, tenant_id: str, owner: str, *, limit: int, after: str | None
    ) -> tuple[list[Account], str | None]:
        results = self.model.owner_index.query(
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
        items = [account_of(i) for i in results]
        last = results.last_evaluated_key
        return items, (last["account_id"]["S"] if last else None)

    def set_status(self, tenant_id: str, account_id: str, status: AccountStatus) -> Account:
        try:
            self.model(tenant_id, account_id).update(
                actions=[self.model.status.set(status.value)],
                condition=self.model.account_id.exists(),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise AccountNotFound(account_id) from exc
            raise
        return self.get(tenant_id, account_id)


def account_of(item: AccountModel) -> Account:
    return Account(
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
        recent_payments=tuple(item.recent_payments or ()),
    )
