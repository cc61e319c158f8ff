"""Patients: registration, the bank account they link, the role-shaped profile, consent,
break-glass, disclosures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from lift_core.auth import CurrentPrincipal
from lift_core.pagination import CursorPage, Limit, PageCursor

from healthcare.api.deps import ChartsService, StatedPurpose
from healthcare.api.schemas import (
    BankAccountIn,
    BreakGlassIn,
    BreakGlassOut,
    ConsentIn,
    ConsentOut,
    CreatePatient,
    DisclosureOut,
    PatientCreated,
    PatientOut,
    RecordMeta,
    SearchHit,
    SearchPage,
)
from healthcare.domain.exceptions import NotPermitted
from healthcare.service.charts import NewPatient

router = APIRouter(prefix="/api/v1/patients", tags=["patients"])


@router.post("", status_code=201, summary="Register a patient (SSN optional, never returned)")
def create_patient(
    body: CreatePatient, principal: CurrentPrincipal, charts: ChartsService
) -> PatientCreated:
    fields = body.model_dump()
    fields["date_of_birth"] = body.date_of_birth.isoformat()
    patient = charts.register(principal, NewPatient(**fields))
    return PatientCreated(id=patient.id, mrn=patient.mrn)


@router.get("/search", summary="Find patients by MRN (staff) or exact SSN (admins)")
def search(
    principal: CurrentPrincipal,
    charts: ChartsService,
    mrn: Annotated[str | None, Query(pattern=r"^[A-Z0-9-]{4,20}$")] = None,
    ssn: Annotated[str | None, Query(pattern=r"^\d{3}-\d{2}-\d{4}$")] = None,
) -> SearchPage:
    if (mrn is None) == (ssn is None):
        raise NotPermitted("search by exactly one of mrn or ssn")
    return SearchPage(
        items=[SearchHit(**hit) for hit in charts.search(principal, mrn=mrn, ssn=ssn)]
    )


@router.get(
    "/{patient_id}",
    response_model=PatientOut,
    summary="A patient's profile, cut to what the caller's role may see (audited)",
)
def get_patient(
    patient_id: str, purpose: StatedPurpose, principal: CurrentPrincipal, charts: ChartsService
) -> dict[str, Any]:
    return charts.view(principal, patient_id, purpose)


@router.put(
    "/{patient_id}/bank-account",
    status_code=204,
    summary="Link the account invoices are charged to (the patient, with an account they hold)",
)
async def link_bank_account(
    patient_id: str,
    body: BankAccountIn,
    principal: CurrentPrincipal,
    charts: ChartsService,
) -> Response:
    await charts.link_bank_account(principal, patient_id, body.bank_account_id)
    return Response(status_code=204)


@router.put("/{patient_id}/consent", summary="Grant or withdraw consent, restrict providers")
def put_consent(
    patient_id: str, body: ConsentIn, principal: CurrentPrincipal, charts: ChartsService
) -> ConsentOut:
    consent = charts.set_consent(
        principal, patient_id, granted=body.granted, restricted=body.restricted_providers
    )
    return ConsentOut(
        granted=consent.granted,
        restricted_providers=list(consent.restricted_providers),
        updated_at=consent.updated_at,
    )


@router.get("/{patient_id}/records", summary="The chart's index: records without content")
def list_records(
    patient_id: str,
    purpose: StatedPurpose,
    principal: CurrentPrincipal,
    charts: ChartsService,
    cursor: PageCursor,
    limit: Limit = 50,
) -> CursorPage[RecordMeta]:
    records, last = charts.list_records(
        principal, patient_id, purpose, limit=limit, start=cursor.start
    )
    return cursor.answer(
        [RecordMeta.model_validate(r, from_attributes=True) for r in records], last
    )


@router.get("/{patient_id}/disclosures", summary="Accounting of disclosures: who saw what, why")
def disclosures(
    patient_id: str,
    principal: CurrentPrincipal,
    charts: ChartsService,
    cursor: PageCursor,
    limit: Limit = 100,
) -> CursorPage[DisclosureOut]:
    items, last = charts.disclosures(principal, patient_id, limit=limit, start=cursor.start)
    return cursor.answer(
        [DisclosureOut.model_validate(d, from_attributes=True) for d in items], last
    )


@router.post(
    "/{patient_id}/break-glass",
    status_code=201,
    summary="Emergency access for a clinician, time-limited and flagged",
)
def break_glass(
    patient_id: str, body: BreakGlassIn, principal: CurrentPrincipal, charts: ChartsService
) -> BreakGlassOut:
    until = charts.break_glass(principal, patient_id, body.reason)
    return BreakGlassOut(patient_id=patient_id, expires_at=until)
