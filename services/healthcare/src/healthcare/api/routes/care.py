"""Providers, encounters, records, the clinic's settings and invoices."""

from __future__ import annotations

from fastapi import APIRouter, Response

from lift_core.auth import CurrentPrincipal
from lift_core.pagination import CursorPage, Limit, PageCursor

from healthcare.api.deps import BillingService, ChartsService, DirectoryService, StatedPurpose
from healthcare.api.schemas import (
    ClinicIn,
    CreateEncounter,
    CreateInvoice,
    CreateProvider,
    CreateRecord,
    EncounterOut,
    InvoiceOut,
    ProviderOut,
    RecordMeta,
    RecordOut,
)
from healthcare.domain.models import InvoiceStatus, Record

router = APIRouter(prefix="/api/v1", tags=["care"])


def _record_out(record: Record, content: str) -> RecordOut:
    """A record with its content in clear (sealed at rest, opened for this answer only)."""
    meta = RecordMeta.model_validate(record, from_attributes=True)
    return RecordOut(**meta.model_dump(), content=content)


@router.put("/clinic", summary="The clinic's merchant account in banking (admin)")
def put_clinic(
    body: ClinicIn, principal: CurrentPrincipal, directory: DirectoryService
) -> ClinicIn:
    directory.configure(principal, body.merchant_account_id, body.currency)
    return body


@router.post("/providers", status_code=201, summary="Register a provider (NPI check digit)")
def create_provider(
    body: CreateProvider, principal: CurrentPrincipal, directory: DirectoryService
) -> ProviderOut:
    provider = directory.add_provider(principal, **body.model_dump())
    return ProviderOut.model_validate(provider, from_attributes=True)


@router.get(
    "/providers",
    summary="The tenant's providers (its directory: anyone of the tenant may read it)",
    openapi_extra={"x-lift-access": "tenant"},
)
def list_providers(
    principal: CurrentPrincipal,
    directory: DirectoryService,
    cursor: PageCursor,
    limit: Limit = 50,
) -> CursorPage[ProviderOut]:
    providers, last = directory.providers(principal, limit=limit, start=cursor.start)
    return cursor.answer(
        [ProviderOut.model_validate(p, from_attributes=True) for p in providers], last
    )


@router.get(
    "/providers/{provider_id}",
    summary="One provider (the tenant's directory: anyone of the tenant may read it)",
    openapi_extra={"x-lift-access": "tenant"},
)
def get_provider(
    provider_id: str, principal: CurrentPrincipal, directory: DirectoryService
) -> ProviderOut:
    return ProviderOut.model_validate(
        directory.provider(principal, provider_id), from_attributes=True
    )


@router.post("/encounters", status_code=201, summary="Link a provider to a patient")
def create_encounter(
    body: CreateEncounter, principal: CurrentPrincipal, directory: DirectoryService
) -> EncounterOut:
    encounter = directory.add_encounter(principal, body.patient_id, body.provider_id)
    return EncounterOut.model_validate(encounter, from_attributes=True)


@router.post("/records", status_code=201, summary="Write a record (treating clinician or nurse)")
def create_record(
    body: CreateRecord, principal: CurrentPrincipal, charts: ChartsService
) -> RecordOut:
    record = charts.add_record(principal, body.patient_id, body.kind, body.content)
    return _record_out(record, body.content)


@router.get("/records/{record_id}", summary="Read a record for a stated purpose (audited)")
def get_record(
    record_id: str, purpose: StatedPurpose, principal: CurrentPrincipal, charts: ChartsService
) -> RecordOut:
    record, content = charts.read_record(principal, record_id, purpose)
    return _record_out(record, content)


@router.post(
    "/encounters/{encounter_id}/invoice",
    status_code=201,
    summary="Invoice an encounter and charge the patient through banking",
    responses={202: {"description": "Banking did not answer; the invoice is settled later"}},
)
async def invoice(
    encounter_id: str,
    body: CreateInvoice,
    principal: CurrentPrincipal,
    billing: BillingService,
    response: Response,
) -> InvoiceOut:
    inv = await billing.invoice(principal, encounter_id, body.amount)
    response.headers["Location"] = f"/api/v1/invoices/{inv.id}"
    if inv.status is InvoiceStatus.PENDING:
        response.status_code = 202
    return InvoiceOut.model_validate(inv, from_attributes=True)


@router.get("/invoices/{invoice_id}", summary="One invoice (billing, admin, the patient)")
async def get_invoice(
    invoice_id: str, principal: CurrentPrincipal, billing: BillingService
) -> InvoiceOut:
    return InvoiceOut.model_validate(await billing.get(principal, invoice_id), from_attributes=True)
