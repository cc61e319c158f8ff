"""Invoices and the clinic's billing settings on DynamoDB."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from lift_core.audit import Staged
from lift_core.dynamo import cancelled_by_condition, find_item, get_items, update_within

from healthcare.adapters.models import ClinicModel, InvoiceModel, PatientModel
from healthcare.adapters.people import patient_of
from healthcare.domain.exceptions import InvoiceExists, InvoiceNotFound, PatientNotFound
from healthcare.domain.models import ClinicAccount, Invoice, InvoiceStatus, Patient


class DynamoInvoices:
    """Every invoice write is one transaction with the audit event that records it."""

    def __init__(self, model: type[InvoiceModel], connection: Connection) -> None:
        self.model = model
        self._connection = connection

    def add(self, invoice: Invoice, *, audit: Staged) -> None:
        inv = invoice
        item = self.model(
            inv.tenant_id,
            inv.id,
            encounter_id=inv.encounter_id,
            patient_id=inv.patient_id,
            amount=inv.amount,
            currency=inv.currency,
            payer_account_id=inv.payer_account_id,
            merchant_account_id=inv.merchant_account_id,
            status=inv.status.value,
            created_at=inv.created_at,
            updated_at=inv.updated_at,
            open_marker="open",  # the sparse index of invoices the retry path settles
        )
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(item, condition=self.model.invoice_id.does_not_exist())
                audit.add_to(tx)
        except TransactWriteError as exc:
            # PynamoDB sends puts in order: the invoice is the first.
            if not audit.lost_race() and cancelled_by_condition(exc)[:1] == [True]:
                raise InvoiceExists(f"encounter {inv.encounter_id} is already invoiced") from exc
            raise

    def get(self, tenant_id: str, invoice_id: str) -> Invoice:
        item = find_item(self.model, tenant_id, invoice_id)
        if item is None:
            raise InvoiceNotFound(invoice_id)
        return invoice_of(item)

    def settle(self, invoice: Invoice, *, audit: Staged, also: Sequence[Staged] = ()) -> bool:
        m = self.model
        actions: list[Any] = [
            m.status.set(invoice.status.value),
            m.updated_at.set(invoice.updated_at),
            m.reason.set(invoice.reason),
            m.open_marker.remove(),
        ]
        if invoice.payment_id is not None:
            actions.append(m.payment_id.set(invoice.payment_id))
        return update_within(
            self._connection,
            m(invoice.tenant_id, invoice.id),
            actions=actions,
            condition=m.status == InvoiceStatus.PENDING.value,
            staged=(audit, *also),
        )

    def pending(self, *, limit: int) -> list[Invoice]:
        return [invoice_of(i) for i in self.model.open_index.query("open", limit=limit)]


class DynamoClinics:
    def __init__(self, model: type[ClinicModel], patients: type[PatientModel]) -> None:
        self.model = model
        self.patients = patients  # read with the clinic that bills them

    def find(self, tenant_id: str) -> ClinicAccount | None:
        item = find_item(self.model, tenant_id, consistent=False)
        return None if item is None else clinic_of(item)

    def bill_to(self, tenant_id: str, patient_id: str) -> tuple[ClinicAccount | None, Patient]:
        if not patient_id.startswith("pat_"):
            raise PatientNotFound(patient_id)
        clinic, patient = get_items(
            [(self.model, tenant_id, None), (self.patients, tenant_id, patient_id)]
        )
        if patient is None:
            raise PatientNotFound(patient_id)
        return (clinic_of(clinic) if clinic is not None else None), patient_of(patient)

    def save(self, clinic: ClinicAccount) -> None:
        self.model(
            clinic.tenant_id,
            merchant_account_id=clinic.merchant_account_id,
            currency=clinic.currency,
        ).save()


def clinic_of(item: ClinicModel) -> ClinicAccount:
    return ClinicAccount(item.tenant_id, item.merchant_account_id, item.currency)


def invoice_of(item: InvoiceModel) -> Invoice:
    return Invoice(
        id=item.invoice_id,
        tenant_id=item.tenant_id,
        encounter_id=item.encounter_id,
        patient_id=item.patient_id,
        amount=int(item.amount),
        currency=item.currency,
        payer_account_id=item.payer_account_id,
        merchant_account_id=item.merchant_account_id,
        status=InvoiceStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        payment_id=item.payment_id,
        reason=item.reason or "",
    )
