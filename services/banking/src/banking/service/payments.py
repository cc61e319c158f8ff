"""Payments and refunds: a payer charged for a merchant (fraud-scored, mandate-aware) and
money given back, never past what was captured."""

from __future__ import annotations

from datetime import timedelta

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal
from lift_core.events import OutboxPort

from banking.domain.accounts import STAFF_ROLES, Account, AccountType
from banking.domain.exceptions import (
    AccountNotFound,
    BankingError,
    CurrencyMismatch,
    NotPermitted,
    PaymentNotFound,
    PaymentNotRefundable,
    RefundExceedsCapture,
    SameAccount,
)
from banking.domain.fraud import FraudRules, PaymentMethod, assess
from banking.domain.money import Money
from banking.domain.operations import (
    DuplicateOperation,
    Movement,
    Operation,
    PaymentMark,
    RefundClaim,
)
from banking.domain.payments import Outcome, Payment, PaymentStatus, Refund
from banking.service.accounts import Accounts
from banking.service.keyed import KeyedOperations, fingerprint, operation_id, payment_event
from banking.service.ports import PaymentReads, Storage


class Payments(KeyedOperations):
    def __init__(
        self,
        storage: Storage,
        audit: AuditLog,
        owners: Accounts,
        *,
        fraud: FraudRules,
        outbox: OutboxPort,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(storage, audit, owners, outbox=outbox, clock=clock)
        self.fraud = fraud

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
    ) -> Outcome[Payment]:
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
        try:
            # Both accounts, the mandate and the has-paid marker in one round trip.
            reads = self.ledger.payment_reads(principal.tenant_id, payer_id, merchant_id)
            merchant = reads.merchant
            if merchant is None or merchant.type is not AccountType.MERCHANT:
                raise AccountNotFound(f"{merchant_id} is not a merchant account")
            if payer_id == merchant_id:
                raise SameAccount("a payment needs two different accounts")
            payer = self._payer(principal, payer_id, reads, merchant, money)
            for account in (payer, merchant):
                if account.currency != money.currency:
                    raise CurrencyMismatch(f"account {account.id} holds {account.currency}")
            now = self.clock()
            since = iso(now - timedelta(seconds=self.fraud.velocity_window_seconds))
            tenant = principal.tenant_id
            paid_before = reads.paid_before
            assessment = assess(
                amount=money.amount,
                method=method,
                recent_payments=payer.payments_since(since),
                paid_payee_before=paid_before,
                rules=self.fraud,
            )
            mark = PaymentMark(payer, iso(now), since, keep=self.fraud.velocity_limit)
            status = PaymentStatus.DECLINED if assessment.declined else PaymentStatus.CAPTURED
            op = Operation(
                tenant_id=tenant,
                op_id=op_id,
                kind="payment",
                fingerprint=fingerprint(request),
                amount=money.amount,
                status=status.value,
                created_at=iso(now),
                body={
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
                },
                first_to_payee=not paid_before,
            )
            if assessment.declined:
                declined = self.outbox.stage(payment_event("declined", op))
                try:
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
                        within=lambda audit: self.ledger.commit(
                            [],
                            op,
                            day=self.owners.today(),
                            audit=audit,
                            events=[declined],
                            mark=mark,
                        ),
                    )
                except DuplicateOperation:
                    return Outcome(
                        Payment.of(self.replay(principal, op_id, request)), created=False
                    )
                return Outcome(Payment.of(op), created=True)
            limit = self.owners.rules.daily_debit_limit
            movements = [
                Movement(payer, -money.amount, "payment", op_id, daily_limit=limit),
                Movement(merchant, money.amount, "payment", op_id),
            ]
            done, created = self.commit(
                principal,
                op,
                movements,
                request=request,
                action="payment",
                events=[payment_event("captured", op)],
                mark=mark,
            )
            return Outcome(Payment.of(done), created)
        except BankingError:  # refused now; the key may have made it before: replay that
            if (stored := self.existing(principal, op_id, request)) is None:
                raise
            return Outcome(Payment.of(stored), created=False)

    def _payer(
        self,
        principal: Principal,
        payer_id: str,
        reads: PaymentReads,
        merchant: Account,
        money: Money,
    ) -> Account:
        """The payer's owner (or staff) pays; a merchant's owner may pull a payment its
        payer has mandated. Anyone else learns nothing about the payer account."""
        payer, mandate = reads.payer, reads.mandate
        refused = NotPermitted("no mandate from this payer covers this payment")
        if payer is None:
            if merchant.owner != principal.subject:
                raise AccountNotFound(payer_id)
            raise refused  # to the merchant, an unknown payer is one without mandate
        if payer.visible_to(principal.subject, principal.roles):
            return payer
        if merchant.owner != principal.subject:
            raise AccountNotFound(payer_id)
        if mandate is None or not mandate.covers(money.amount, money.currency):
            raise refused
        return payer

    def get(self, principal: Principal, payment_id: str) -> Payment:
        op = self.operations.find(principal.tenant_id, payment_id)
        if op is None or op.kind != "payment":
            raise PaymentNotFound(payment_id)
        self.authorize_view(principal, *self.parties(op))
        self.audit.record("payment.read", f"payment/{payment_id}", "success")
        return Payment.of(op)

    def get_by_key(self, principal: Principal, key: str) -> Payment:
        """The payment the caller made with ``key``; raises ``PaymentNotFound``."""
        return self.get(principal, operation_id("pay", principal, "payment", key))

    def refund(
        self, principal: Principal, payment_id: str, *, key: str, amount: int, reason: str
    ) -> Outcome[Refund]:
        request = {"payment": payment_id, "amount": amount, "reason": reason}
        op_id = operation_id("rfd", principal, f"refund:{payment_id}", key)
        try:
            payment = self.operations.find(principal.tenant_id, payment_id)
            if payment is None or payment.kind != "payment":
                raise PaymentNotFound(payment_id)
            merchant = self.accounts.get(principal.tenant_id, payment.body["merchant_account_id"])
            if merchant.owner != principal.subject and principal.roles.isdisjoint(STAFF_ROLES):
                raise NotPermitted("refunds are made by the merchant or by staff")
            if payment.status == PaymentStatus.DECLINED.value:
                raise PaymentNotRefundable("a declined payment moved no money")
            Money(amount, payment.body["currency"])
            if payment.body["refunded"] + amount > payment.amount:
                raise RefundExceedsCapture(
                    f"at most {payment.amount - payment.body['refunded']} can still be refunded"
                )
            payer = self.accounts.get(principal.tenant_id, payment.body["payer_account_id"])
            op = Operation(
                tenant_id=principal.tenant_id,
                op_id=op_id,
                kind="refund",
                fingerprint=fingerprint(request),
                amount=amount,
                status="completed",
                created_at=self.now(),
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
            done, created = self.commit(
                principal,
                op,
                movements,
                request=request,
                action="refund",
                refund=claim,
                events=[payment_event("refunded", op, payment)],
            )
            return Outcome(Refund.of(done), created)
        except BankingError:  # refused now; the key may have made it before: replay that
            if (stored := self.existing(principal, op_id, request)) is None:
                raise
            return Outcome(Refund.of(stored), created=False)
