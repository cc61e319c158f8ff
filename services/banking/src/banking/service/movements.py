"""Transfers, payments and refunds: double entry, idempotent, never overdrawing."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from lift_core.audit import AuditRecorder
from lift_core.context import Principal

from banking.adapters.repository import (
    DuplicateOperation,
    DynamoBank,
    Movement,
    Operation,
    RefundClaim,
)
from banking.domain.accounts import STAFF_ROLES, Account, AccountType
from banking.domain.exceptions import (
    AccountNotFound,
    CurrencyMismatch,
    IdempotencyKeyReused,
    NotPermitted,
    PaymentNotFound,
    PaymentNotRefundable,
    RefundExceedsCapture,
    SameAccount,
    TransferNotFound,
)
from banking.domain.fraud import FraudRules, PaymentMethod, assess
from banking.domain.money import Money
from banking.domain.payments import PaymentStatus
from banking.service.accounts import Accounts, now_iso, today

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


class Movements:
    def __init__(
        self, bank: DynamoBank, accounts: Accounts, audit: AuditRecorder, fraud: FraudRules
    ) -> None:
        self.bank = bank
        self.accounts = accounts
        self.audit = audit
        self.fraud = fraud

    # -- transfers ----------------------------------------------------------------------

    def transfer(
        self,
        principal: Principal,
        *,
        key: str,
        source_id: str,
        destination_id: str,
        money: Money,
        reference: str,
    ) -> tuple[dict[str, Any], bool]:
        """Returns the transfer and whether it was created now (False: a replay)."""
        request = {
            "source": source_id,
            "destination": destination_id,
            "amount": money.amount,
            "currency": money.currency,
            "reference": reference,
        }
        op_id = operation_id("trf", principal, "transfer", key)
        existing = self._existing(principal, op_id, request)
        if existing is not None:
            return existing, False
        if source_id == destination_id:
            raise SameAccount("a transfer needs two different accounts")
        source = self.accounts.get(principal, source_id, audit_read=False)
        destination = self.bank.account(principal.tenant_id, destination_id)
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
            created_at=now_iso(),
            body={
                "id": op_id,
                **request,
                "source_account_id": source_id,
                "destination_account_id": destination_id,
            },
        )
        limit = self.accounts.rules.daily_debit_limit
        movements = [
            Movement(source, -money.amount, "transfer", op_id, daily_limit=limit),
            Movement(destination, money.amount, "transfer", op_id),
        ]
        return self._commit(principal, op, movements, request=request, action="transfer")

    def get_transfer(self, principal: Principal, transfer_id: str) -> dict[str, Any]:
        op = self.bank.operation(principal.tenant_id, transfer_id)
        if op is None or op.kind != "transfer":
            raise TransferNotFound(transfer_id)
        self._authorize_view(principal, *self._parties(op), not_found=TransferNotFound)
        return {**op.body, "created_at": op.created_at, "status": op.status}

    # -- payments -----------------------------------------------------------------------

    def pay(
        self,
        principal: Principal,
        *,
        key: str,
        payer_id: str,
        merchant_id: str,
        money: Money,
        method: PaymentMethod,
        card_token: str | None,
        reference: str,
    ) -> tuple[dict[str, Any], bool]:
        request = {
            "payer": payer_id,
            "merchant": merchant_id,
            "amount": money.amount,
            "currency": money.currency,
            "method": method.value,
            "card_token": card_token,
            "reference": reference,
        }
        op_id = operation_id("pay", principal, "payment", key)
        existing = self._existing(principal, op_id, request)
        if existing is not None:
            return existing, False
        merchant = self.bank.account(principal.tenant_id, merchant_id)
        if merchant.type is not AccountType.MERCHANT:
            raise AccountNotFound(f"{merchant_id} is not a merchant account")
        payer = self._payer(principal, payer_id, merchant, money)
        for account in (payer, merchant):
            if account.currency != money.currency:
                raise CurrencyMismatch(f"account {account.id} holds {account.currency}")
        since = (
            datetime.now(UTC) - timedelta(seconds=self.fraud.velocity_window_seconds)
        ).isoformat()
        assessment = assess(
            amount=money.amount,
            method=method,
            recent_payments=self.bank.count_payments_by_payer(principal.tenant_id, payer_id, since),
            paid_payee_before=self.bank.has_paid(principal.tenant_id, payer_id, merchant_id),
            rules=self.fraud,
        )
        status = PaymentStatus.DECLINED if assessment.declined else PaymentStatus.CAPTURED
        body = {
            "id": op_id,
            "idempotency_key": key,
            "payer_account_id": payer_id,
            "merchant_account_id": merchant_id,
            "amount": money.amount,
            "currency": money.currency,
            "method": method.value,
            "card_token": card_token,
            "reference": reference,
            "status": status.value,
            "fraud_score": assessment.score,
            "decline_reasons": list(assessment.reasons) if assessment.declined else [],
        }
        op = Operation(
            tenant_id=principal.tenant_id,
            op_id=op_id,
            kind="payment",
            fingerprint=fingerprint(request),
            amount=money.amount,
            status=status.value,
            created_at=now_iso(),
            body=body,
            payer_key=f"{principal.tenant_id}#{payer_id}",
        )
        if assessment.declined:
            try:
                self.bank.record(op)
            except DuplicateOperation:
                return self._replay(principal, op_id, request), False
            self.audit.record(
                "payment.declined",
                f"payment/{op_id}",
                "declined",
                {
                    "amount": money.amount,
                    "currency": money.currency,
                    "score": assessment.score,
                    "reasons": list(assessment.reasons),
                },
            )
            return self._view(op), True
        limit = self.accounts.rules.daily_debit_limit
        movements = [
            Movement(payer, -money.amount, "payment", op_id, daily_limit=limit),
            Movement(merchant, money.amount, "payment", op_id),
        ]
        return self._commit(principal, op, movements, request=request, action="payment")

    def _payer(
        self, principal: Principal, payer_id: str, merchant: Account, money: Money
    ) -> Account:
        """The payer's owner (or staff) pays; a merchant's owner may pull a payment its
        payer has mandated. Anyone else learns nothing about the payer account."""
        try:
            return self.accounts.get(principal, payer_id, audit_read=False)
        except AccountNotFound:
            if merchant.owner != principal.subject:
                raise
        mandate = self.bank.mandate(principal.tenant_id, payer_id, merchant.id)
        if mandate is None or not mandate.covers(money.amount, money.currency):
            raise NotPermitted("no mandate from this payer covers this payment")
        return self.bank.account(principal.tenant_id, payer_id)

    def get_payment(self, principal: Principal, payment_id: str) -> dict[str, Any]:
        op = self.bank.operation(principal.tenant_id, payment_id)
        if op is None or op.kind != "payment":
            raise PaymentNotFound(payment_id)
        self._authorize_view(principal, *self._parties(op))
        self.audit.record("payment.read", f"payment/{payment_id}", "success")
        return self._view(op)

    def find_payment(self, principal: Principal, key: str) -> dict[str, Any]:
        return self.get_payment(principal, operation_id("pay", principal, "payment", key))

    def refund(
        self, principal: Principal, payment_id: str, *, key: str, amount: int, reason: str
    ) -> tuple[dict[str, Any], bool]:
        request = {"payment": payment_id, "amount": amount, "reason": reason}
        op_id = operation_id("rfd", principal, f"refund:{payment_id}", key)
        existing = self._existing(principal, op_id, request)
        if existing is not None:
            return existing, False
        payment = self.bank.operation(principal.tenant_id, payment_id)
        if payment is None or payment.kind != "payment":
            raise PaymentNotFound(payment_id)
        merchant = self.bank.account(principal.tenant_id, payment.body["merchant_account_id"])
        if merchant.owner != principal.subject and principal.roles.isdisjoint(STAFF_ROLES):
            raise NotPermitted("refunds are made by the merchant or by staff")
        if payment.status == PaymentStatus.DECLINED.value:
            raise PaymentNotRefundable("a declined payment moved no money")
        Money(amount, payment.body["currency"])
        if payment.body["refunded"] + amount > payment.amount:
            raise RefundExceedsCapture(
                f"at most {payment.amount - payment.body['refunded']} can still be refunded"
            )
        payer = self.bank.account(principal.tenant_id, payment.body["payer_account_id"])
        op = Operation(
            tenant_id=principal.tenant_id,
            op_id=op_id,
            kind="refund",
            fingerprint=fingerprint(request),
            amount=amount,
            status="completed",
            created_at=now_iso(),
            body={
                "id": op_id,
                "payment_id": payment_id,
                "amount": amount,
                "currency": payment.body["currency"],
                "reason": reason,
            },
        )
        movements = [
            Movement(merchant, -amount, "refund", op_id),
            Movement(payer, amount, "refund", op_id),
        ]
        claim = RefundClaim(principal.tenant_id, payment_id, amount, payment.amount)
        return self._commit(
            principal, op, movements, request=request, action="refund", refund=claim
        )

    # -- shared -------------------------------------------------------------------------

    def _commit(
        self,
        principal: Principal,
        op: Operation,
        movements: list[Movement],
        *,
        request: dict[str, Any],
        action: str,
        refund: RefundClaim | None = None,
    ) -> tuple[dict[str, Any], bool]:
        try:
            self.bank.commit(movements, op, day=today(), refund=refund)
        except DuplicateOperation:
            return self._replay(principal, op.op_id, request), False
        except Exception as exc:
            self.audit.record(
                f"{action}.create",
                f"{action}/{op.op_id}",
                "failure",
                {"amount": op.amount, "error": type(exc).__name__},
            )
            raise
        self.audit.record(
            f"{action}.create",
            f"{action}/{op.op_id}",
            "success",
            {"amount": op.amount, "currency": movements[0].account.currency},
        )
        return self._view(op), True

    def _existing(
        self, principal: Principal, op_id: str, request: dict[str, Any]
    ) -> dict[str, Any] | None:
        op = self.bank.operation(principal.tenant_id, op_id)
        if op is None:
            return None
        # Replays go only to callers who may see the operation.
        self._authorize_view(
            principal,
            *self._parties(op),
            not_found=TransferNotFound if op.kind == "transfer" else PaymentNotFound,
        )
        if op.fingerprint != fingerprint(request):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
        return self._view(op)

    def _replay(self, principal: Principal, op_id: str, request: dict[str, Any]) -> dict[str, Any]:
        existing = self._existing(principal, op_id, request)
        assert existing is not None  # the write just collided with it
        return existing

    def _parties(self, op: Operation) -> tuple[str, ...]:
        """The accounts whose owners may see ``op`` (a refund: those of its payment)."""
        if op.kind == "refund":
            payment = self.bank.operation(op.tenant_id, op.body["payment_id"])
            return self._parties(payment) if payment is not None else ()
        keys = (
            "source_account_id",
            "destination_account_id",
            "payer_account_id",
            "merchant_account_id",
        )
        return tuple(op.body[k] for k in keys if k in op.body)

    def _authorize_view(
        self,
        principal: Principal,
        *account_ids: str,
        not_found: type[Exception] = PaymentNotFound,
    ) -> None:
        if not principal.roles.isdisjoint(STAFF_ROLES):
            return
        for account_id in account_ids:
            try:
                if self.bank.account(principal.tenant_id, account_id).owner == principal.subject:
                    return
            except AccountNotFound:
                continue
        raise not_found("not visible to the caller")

    @staticmethod
    def _view(op: Operation) -> dict[str, Any]:
        return {
            **op.body,
            "created_at": op.created_at,
            "refunded": op.body.get("refunded", 0),
            "status": _status(op),
        }


def _status(op: Operation) -> str:
    if op.kind != "payment" or op.status == PaymentStatus.DECLINED.value:
        return op.status
    refunded = op.body.get("refunded", 0)
    if refunded == 0:
        return PaymentStatus.CAPTURED.value
    return (
        PaymentStatus.REFUNDED if refunded >= op.amount else PaymentStatus.PARTIALLY_REFUNDED
    ).value
