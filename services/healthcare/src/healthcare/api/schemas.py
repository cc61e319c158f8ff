"""Request and response bodies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from lift_core.clock import utc_now
from lift_core.protection.text import NoSensitiveData

Subject = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")]
AccountId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClinicIn(
    Strict,
    json_schema_extra={
        "examples": [
            {"merchant_account_id": "acc_c0ffee00c0ffee00c0ffee00c0ffee00", "currency": "EUR"}
        ]
    },
):
    merchant_account_id: AccountId
    currency: Currency


class CreatePatient(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "mrn": "MRN-000123",
                "name": "Alice Example",
                "date_of_birth": "1985-06-01",
                "address": "1 Alice Street",
                "insurance": "ACME-HEALTH 12345",
                "subject": "alice",
            }
        ]
    },
):
    mrn: str = Field(pattern=r"^[A-Z0-9-]{4,20}$", examples=["MRN-000123"])
    name: Annotated[str, Field(max_length=200, min_length=1), NoSensitiveData]
    date_of_birth: date
    address: Annotated[str, Field(max_length=500), NoSensitiveData] = ""
    phone: str = Field(default="", max_length=40)
    insurance: Annotated[
        str, Field(max_length=100, description="insurer and member id"), NoSensitiveData
    ] = ""
    ssn: str | None = Field(
        default=None, pattern=r"^\d{3}-\d{2}-\d{4}$", description="stored encrypted, never returned"
    )
    subject: Subject | None = Field(default=None, description="the patient's own login")

    @field_validator("date_of_birth")
    @classmethod
    def _not_future(cls, value: date) -> date:
        # Today somewhere on Earth (UTC+14) is not the future.
        if value > (utc_now() + timedelta(hours=14)).date():
            raise ValueError("date of birth is in the future")
        return value


class BankAccountIn(
    Strict,
    json_schema_extra={"examples": [{"bank_account_id": "acc_3f6c2a9d8e7b4c1a9f0e2d3c4b5a6978"}]},
):
    bank_account_id: AccountId = Field(description="an account the patient holds in banking")


class PatientCreated(BaseModel):
    id: str
    mrn: str


class ConsentIn(
    Strict, json_schema_extra={"examples": [{"granted": True, "restricted_providers": []}]}
):
    granted: bool
    restricted_providers: list[Annotated[str, Field(pattern=r"^prv_[a-f0-9]{32}$")]] = Field(
        default_factory=list, max_length=100
    )


class ConsentOut(BaseModel):
    granted: bool
    restricted_providers: list[str]
    updated_at: str


class PatientOut(BaseModel):
    """Only the fields the caller's role may see are present."""

    model_config = ConfigDict(extra="allow")
    id: str


class SearchHit(BaseModel):
    id: str
    mrn: str


class BreakGlassIn(
    Strict,
    json_schema_extra={
        "examples": [{"reason": "unconscious in the emergency room, no consent possible"}]
    },
):
    reason: Annotated[str, Field(max_length=500, min_length=10), NoSensitiveData]


class BreakGlassOut(BaseModel):
    patient_id: str
    expires_at: str


class DisclosureOut(BaseModel):
    at: str
    accessor: str
    role: str
    purpose: str
    resource: str
    outcome: str
    reason: str
    emergency: bool


class CreateProvider(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "npi": "1234567893",
                "name": "Dr Meredith Grey",
                "kind": "clinician",
                "subject": "dr-grey",
            }
        ]
    },
):
    npi: str = Field(pattern=r"^\d{10}$")
    name: Annotated[str, Field(max_length=200, min_length=1), NoSensitiveData]
    kind: Literal["clinician", "nurse"]
    subject: Subject


class ProviderOut(BaseModel):
    id: str
    npi: str
    name: str
    kind: str
    subject: str
    created_at: str


class SearchPage(BaseModel):
    """An exact match: never more than one page."""

    items: list[SearchHit]


class CreateEncounter(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "patient_id": "pat_0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
                "provider_id": "prv_9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            }
        ]
    },
):
    patient_id: str = Field(min_length=1, max_length=64)
    provider_id: str = Field(min_length=1, max_length=64)


class EncounterOut(BaseModel):
    id: str
    patient_id: str
    provider_id: str
    created_at: str


class CreateRecord(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "patient_id": "pat_0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
                "kind": "note",
                "content": "Routine check-up, all well.",
            }
        ]
    },
):
    patient_id: str = Field(min_length=1, max_length=64)
    kind: Literal["note", "diagnosis", "lab", "prescription"]
    content: Annotated[str, Field(max_length=20_000, min_length=1), NoSensitiveData]


class RecordMeta(BaseModel):
    id: str
    patient_id: str
    author_provider_id: str
    kind: str
    created_at: str


class RecordOut(RecordMeta):
    content: str


class CreateInvoice(Strict, json_schema_extra={"examples": [{"amount": 8000}]}):
    amount: StrictInt = Field(gt=0, le=10**9, description="minor units")


class InvoiceOut(BaseModel):
    id: str
    encounter_id: str
    patient_id: str
    amount: int
    currency: str
    status: str
    payment_id: str | None
    reason: str
    created_at: str
    updated_at: str
