"""Payments reconciled with the orders they paid for.

Banking consumes the shop's ``order.confirmed`` and ``order.cancelled`` (queue
``banking-orders``): each payment then carries what the merchant reported of its order and
every way the two disagree (a total that is not the amount captured, a cancelled order whose
payment was not refunded, an order confirmed on a declined payment). A discrepancy is
audited as a failure and logged; the payment's reader sees it on ``GET /payments/{id}``.
A shop reports on its own sales only: an event naming a payment to a merchant account its
publisher (the event's source, e-commerce's service identity) does not own changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import KW_ONLY, dataclass

from lift_core.audit import AuditLog, NothingWritten, Staged, written
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import run_blocking
from lift_core.events import DomainEvent

from banking.domain.payments import (
    MerchantOrder,
    OrderReport,
    OrderStatus,
    Payment,
    reconcile,
)
from banking.service.ports import AccountRepository, OperationRepository

_log = logging.getLogger("banking.reconciliation")
_ATTEMPTS = 3  # another report landing between the read and the write: read again


def order_report(event: DomainEvent) -> OrderReport | None:
    """What an ``order.*`` event reports of a paid order, or None when no payment took
    part; banking's whole reading of e-commerce's order events (its message pact checks
    e-commerce still sends what it reads)."""
    p = event.payload
    payment_id, status, total = p.get("payment_id"), p.get("status"), p.get("total")
    if not isinstance(payment_id, str) or not isinstance(total, int):
        return None
    if not isinstance(status, str) or status not in OrderStatus.__members__:
        return None
    return OrderReport(
        event.tenant, payment_id, str(p["order_id"]), OrderStatus(status), total, str(p["currency"])
    )


@dataclass
class Reconciliation:
    operations: OperationRepository
    accounts: AccountRepository
    audit: AuditLog
    _: KW_ONLY
    clock: Clock = utc_now

    async def on_order(self, event: DomainEvent, claim: Staged) -> bool:
        report = order_report(event)
        if report is None:
            return False  # an order no payment took part in
        return await run_blocking(self.note, report, claim, reporter=event.source)

    def note(self, report: OrderReport, claim: Staged, *, reporter: str) -> bool:
        """Record the order on its payment, with its audit event and ``claim``, unless the
        payment knows a report as new (a repeated or stale event) or was not paid to a
        merchant account ``reporter`` owns (a shop reports on its own sales only): then
        False."""
        for _ in range(_ATTEMPTS):
            op = self.operations.find(report.tenant_id, report.payment_id)
            if op is None or op.kind != "payment":
                _log.warning(
                    "order %s reports payment %s, which this tenant does not have",
                    report.order_id,
                    report.payment_id,
                )
                return False
            payment = Payment.of(op)
            merchant_id = payment.merchant_account_id
            merchant = self.accounts.get_many(report.tenant_id, [merchant_id]).get(merchant_id)
            if merchant is None or merchant.owner != reporter:
                _log.warning(
                    "order %s reports payment %s, which was not paid to %s",
                    report.order_id,
                    payment.id,
                    reporter,
                )
                return False
            found = reconcile(payment, report, at=iso(self.clock()))
            if not found.supersedes(payment.order):
                return False
            try:
                self._record(report.tenant_id, payment, found, claim)
            except NothingWritten:
                continue  # another report came first: decide again on what it left
            if not found.reconciled:
                _log.warning(
                    "payment %s does not reconcile with order %s: %s",
                    payment.id,
                    found.order_id,
                    "; ".join(found.discrepancies),
                )
            return True
        raise RuntimeError(f"payment {report.payment_id}: reports kept racing")

    def _record(self, tenant: str, payment: Payment, found: MerchantOrder, claim: Staged) -> None:
        self.audit.record(
            "payment.reconcile",
            f"payment/{payment.id}",
            "success" if found.reconciled else "failure",
            {
                "order": found.order_id,
                "order_status": found.status.value,
                "discrepancies": list(found.discrepancies),
            },
            within=lambda audit: written(
                self.operations.note_order(
                    tenant,
                    payment.id,
                    found,
                    previous=payment.order,
                    audit=audit,
                    also=(claim,),
                )
            ),
        )
