"""Invoices, charged to the patient's bank account through banking's payment API.

The invoice id derives from the encounter (one invoice per encounter) and is the payment's
idempotency key, so a charge can be asked for again at any time and lands at most once.
Banking down or silent: the invoice stays PENDING and ``retry_pending`` (a periodic task,
or ``python -m healthcare.billing_retry``) asks again until banking answers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta

from lift_core import context
from lift_core.audit import AuditLog, NothingWritten, Staged, Within, written
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal
from lift_core.context import run_blocking as blocking
from lift_core.events import DomainEvent

from healthcare.domain.access import Role, role_of
from healthcare.domain.exceptions import (
    ClinicNotConfigured,
    EncounterNotFound,
    InvoiceNotFound,
    NotPermitted,
)
from healthcare.domain.models import Invoice, InvoiceStatus
from healthcare.domain.payments import PaymentRefused, PaymentUnknown
from healthcare.service.ports import PaymentGateway, Storage

_log = logging.getLogger("healthcare.billing")
_NAMESPACE = uuid.UUID("8a3e0c55-0d7e-4f55-9a54-6865616c7468")


@dataclass(frozen=True, slots=True)
class InvoiceCharge:
    invoice_id: str
    payment_id: str
    captured: bool
    reason: str  # why it was declined ("" when captured)


def charge_of(event: DomainEvent) -> InvoiceCharge | None:
    """What a ``payment.*`` event reports of an invoice's charge (its key is the invoice
    id), or None for anyone else's; healthcare's whole reading of banking's payment events
    (its message pact checks banking still sends what it reads)."""
    key = event.payload.get("key")
    if not isinstance(key, str) or not key.startswith("inv_"):
        return None
    captured = event.payload.get("status") == "captured"
    reason = "" if captured else str(event.payload.get("reasons") or "") or "declined"
    return InvoiceCharge(key, str(event.payload["payment_id"]), captured, reason)


@dataclass
class RetryReport:
    examined: int = 0
    settled: dict[str, int] = field(default_factory=dict)
    still_pending: int = 0


@dataclass
class Billing:
    storage: Storage
    payments: PaymentGateway
    audit: AuditLog
    _: KW_ONLY
    min_age: timedelta  # an invoice younger than this may still be charging: retry leaves it
    clock: Clock = utc_now

    async def invoice(self, principal: Principal, encounter_id: str, amount: int) -> Invoice:
        if role_of(principal.roles) not in (Role.BILLING, Role.ADMIN):
            raise NotPermitted("invoices are raised by billing")
        tenant = principal.tenant_id
        encounter = await blocking(self.storage.care.find_encounter, tenant, encounter_id)
        if encounter is None:
            raise EncounterNotFound(encounter_id)
        # The clinic's account and the patient's, in one round trip.
        clinic, patient = await blocking(self.storage.clinics.bill_to, tenant, encounter.patient_id)
        if clinic is None:
            raise ClinicNotConfigured("an admin must set the clinic's merchant account")
        if not patient.bank_account_id:
            raise NotPermitted("the patient has no bank account on file")
        now = iso(self.clock())
        inv = Invoice(
            id=f"inv_{uuid.uuid5(_NAMESPACE, f'{tenant}|{encounter_id}').hex}",
            tenant_id=tenant,
            encounter_id=encounter_id,
            patient_id=patient.id,
            amount=amount,
            currency=clinic.currency,
            payer_account_id=patient.bank_account_id,
            merchant_account_id=clinic.merchant_account_id,
            status=InvoiceStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        await self._audit(
            inv,
            "invoice.create",
            "success",
            {"amount": amount},
            within=lambda staged: self.storage.invoices.add(inv, audit=staged),
        )
        return await self._charge(inv)

    async def get(self, principal: Principal, invoice_id: str) -> Invoice:
        inv = await blocking(self.storage.invoices.get, principal.tenant_id, invoice_id)
        role = role_of(principal.roles)
        if role in (Role.BILLING, Role.ADMIN):
            return inv
        patient = await blocking(self.storage.patients.get, principal.tenant_id, inv.patient_id)
        if patient.subject is not None and patient.subject == principal.subject:
            return inv
        raise InvoiceNotFound(invoice_id)

    async def retry_pending(self, *, limit: int = 100) -> RetryReport:
        report = RetryReport()
        now = self.clock()
        for inv in await blocking(self.storage.invoices.pending, limit=limit):
            if datetime.fromisoformat(inv.updated_at) > now - self.min_age:
                continue  # the request that raised it may still be charging
            report.examined += 1
            settled = await self._charge(inv)
            if settled.status is InvoiceStatus.PENDING:
                report.still_pending += 1
            else:
                report.settled[settled.status] = report.settled.get(settled.status, 0) + 1
        return report

    async def _charge(self, inv: Invoice) -> Invoice:
        try:
            payment = await self.payments.charge(inv.charge)
        except PaymentRefused as exc:
            return await self._settle(inv, InvoiceStatus.DECLINED, None, exc.reason)
        except PaymentUnknown as exc:
            _log.warning("invoice %s stays pending: %s", inv.id, exc)
            return inv
        if not payment.captured:
            reason = ",".join(payment.reasons) or "declined"
            return await self._settle(inv, InvoiceStatus.DECLINED, payment.id, reason)
        return await self._settle(inv, InvoiceStatus.PAID, payment.id, "")

    async def on_payment(self, event: DomainEvent, claim: Staged) -> bool:
        """Banking's ``payment.captured`` or ``payment.declined`` for an invoice's charge
        (its key is the invoice id): the invoice is settled at once, even when the charge's
        answer was lost; an invoice settled already (a repeated or stale event) stays."""
        charge = charge_of(event)
        if charge is None:
            return False  # not a charge of this clinic
        try:
            inv = await blocking(self.storage.invoices.get, event.tenant, charge.invoice_id)
        except InvoiceNotFound:
            return False
        if inv.status is not InvoiceStatus.PENDING:
            return False
        status = InvoiceStatus.PAID if charge.captured else InvoiceStatus.DECLINED
        await self._settle(inv, status, charge.payment_id, charge.reason, also=(claim,))
        return True

    async def _settle(
        self,
        inv: Invoice,
        status: InvoiceStatus,
        payment_id: str | None,
        reason: str,
        also: Sequence[Staged] = (),
    ) -> Invoice:
        settled = inv.settled(status, at=iso(self.clock()), payment_id=payment_id, reason=reason)
        try:
            await self._audit(
                inv,
                f"invoice.{status.value.lower()}",
                "success",
                {"payment": payment_id, "reason": reason},
                within=lambda audit: written(
                    self.storage.invoices.settle(settled, audit=audit, also=also)
                ),
            )
        except NothingWritten:  # another attempt settled it first
            return await blocking(self.storage.invoices.get, inv.tenant_id, inv.id)
        return settled

    async def _audit(
        self,
        inv: Invoice,
        action: str,
        outcome: str,
        details: dict[str, object],
        *,
        within: Within,
    ) -> None:
        """Audit ``action`` on the invoice in the same transaction as its write."""
        actor = None if context.current_principal() else "healthcare-billing-retry"
        await blocking(
            self.audit.record,
            action,
            f"invoice/{inv.id}",
            outcome,
            details,
            actor=actor,
            tenant=inv.tenant_id,
            within=within,
        )
