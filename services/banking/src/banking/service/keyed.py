"""What transfers, payments and refunds share: keyed operations committed once.

An operation's id derives from the caller, the scope and the Idempotency-Key, and the
operation record is claimed in the same transaction as the money it moves: that record is
the route's one idempotency mechanism. The key is not looked up first: the transaction's
claim finds a replay, and an operation refused now (state has moved since) looks its key up
before it answers. A replay returns the stored operation to a caller who may see it; the
same key with another request is refused.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal
from lift_core.events import DomainEvent, OutboxPort, is_safe

from banking.domain.accounts import STAFF_ROLES
from banking.domain.exceptions import (
    AccountNotFound,
    IdempotencyKeyReused,
    PaymentNotFound,
    TransferNotFound,
)
from banking.domain.operations import (
    DuplicateOperation,
    Movement,
    Operation,
    PaymentMark,
    RefundClaim,
)
from banking.service.accounts import Accounts
from banking.service.ports import Storage

_NAMESPACE = uuid.UUID("6f1f6c0e-3b0a-4c1e-9a55-6c6966742d62")


def operation_id(prefix: str, principal: Principal, scope: str, key: str) -> str:
    """Deterministic: the same caller (tenant and subject), scope and Idempotency-Key give
    the same id. Another caller's key never names this operation, so it can neither block
    nor reveal it."""
    name = f"{principal.tenant_id}|{principal.subject}|{scope}|{key}"
    return f"{prefix}_{uuid.uuid5(_NAMESPACE, name).hex}"


def fingerprint(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class KeyedOperations:
    def __init__(
        self,
        storage: Storage,
        audit: AuditLog,
        owners: Accounts,
        *,
        outbox: OutboxPort,
        clock: Clock = utc_now,
    ) -> None:
        self.outbox = outbox
        self.accounts = storage.accounts
        self.operations = storage.operations
        self.ledger = storage.ledger
        self.audit = audit
        self.owners = owners  # the account use cases: who may see or debit an account
        self.clock = clock

    def now(self) -> str:
        return iso(self.clock())

    def commit(
        self,
        principal: Principal,
        op: Operation,
        movements: list[Movement],
        *,
        request: dict[str, Any],
        action: str,
        refund: RefundClaim | None = None,
        events: Sequence[DomainEvent] = (),
        mark: PaymentMark | None = None,
    ) -> tuple[Operation, bool]:
        """The operation committed now (True) or the one its key made before (False), with
        the ``events`` it publishes in the same transaction."""
        staged = [self.outbox.stage(e) for e in events]
        try:
            self.audit.record(
                f"{action}.create",
                f"{action}/{op.op_id}",
                "success",
                {"amount": op.amount, "currency": movements[0].account.currency},
                within=lambda audit: self.ledger.commit(
                    movements,
                    op,
                    day=self.owners.today(),
                    refund=refund,
                    audit=audit,
                    events=staged,
                    mark=mark,
                ),
            )
        except DuplicateOperation:
            return self.replay(principal, op.op_id, request), False
        except Exception as exc:
            self.audit.record(
                f"{action}.create",
                f"{action}/{op.op_id}",
                "failure",
                {"amount": op.amount, "error": type(exc).__name__},
            )
            raise
        return op, True

    def existing(
        self, principal: Principal, op_id: str, request: dict[str, Any]
    ) -> Operation | None:
        op = self.operations.find(principal.tenant_id, op_id)
        if op is None:
            return None
        # Replays go only to callers who may see the operation.
        self.authorize_view(
            principal,
            *self.parties(op),
            not_found=TransferNotFound if op.kind == "transfer" else PaymentNotFound,
        )
        if op.fingerprint != fingerprint(request):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
        return op

    def replay(self, principal: Principal, op_id: str, request: dict[str, Any]) -> Operation:
        existing = self.existing(principal, op_id, request)
        assert existing is not None  # the write just collided with it
        return existing

    def parties(self, op: Operation) -> tuple[str, ...]:
        """The accounts whose owners may see ``op`` (a refund: those of its payment)."""
        if op.kind == "refund":
            payment = self.operations.find(op.tenant_id, op.body["payment_id"])
            return self.parties(payment) if payment is not None else ()
        keys = (
            "source_account_id",
            "destination_account_id",
            "payer_account_id",
            "merchant_account_id",
        )
        return tuple(op.body[k] for k in keys if k in op.body)

    def authorize_view(
        self,
        principal: Principal,
        *account_ids: str,
        not_found: type[Exception] = PaymentNotFound,
    ) -> None:
        if not principal.roles.isdisjoint(STAFF_ROLES):
            return
        for account_id in account_ids:
            try:
                if self.accounts.get(principal.tenant_id, account_id).owner == principal.subject:
                    return
            except AccountNotFound:
                continue
        raise not_found("not visible to the caller")


def payment_event(kind: str, op: Operation, payment: Operation | None = None) -> DomainEvent:
    """``payment.<kind>`` about a payment (a refund's: ``payment``, the one it refunds):
    ids, amounts and status only. The caller's Idempotency-Key travels as ``key`` (a
    consumer recognises its own charge by it) unless it could carry protected data."""
    of = payment or op
    key = of.body.get("idempotency_key")
    payload: dict[str, str | int | bool | None] = {
        "payment_id": of.op_id,
        "status": of.status,
        "amount": op.amount,
        "currency": of.body["currency"],
        "payer_account_id": of.body["payer_account_id"],
        "merchant_account_id": of.body["merchant_account_id"],
        "key": key if isinstance(key, str) and is_safe(key) else None,
        "reasons": ",".join(of.body.get("decline_reasons", [])),  # rule names, when declined
    }
    if payment is not None:
        payload["refund_id"] = op.op_id
    return DomainEvent(f"payment.{kind}", 1, of.tenant_id, f"payment/{of.op_id}", payload)
