"""Healthcare's use cases on in-memory fakes, built by the same ``bootstrap`` as the app."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from services.healthcare.tests.fakes import (
    FakeBanking,
    InMemoryCare,
    InMemoryClinics,
    InMemoryDisclosures,
    InMemoryInvoices,
    InMemoryPatients,
    InMemoryProviders,
    InMemoryRecords,
)

from lift_core.audit import InMemoryAuditLog
from lift_core.clock import ManualClock
from lift_core.context import Principal
from lift_core.events import InMemoryInbox
from lift_core.protection import BlindIndex, InMemoryCipher

from healthcare.bootstrap import Clinic, bootstrap
from healthcare.config import HealthcareSettings
from healthcare.domain.exceptions import InvalidNpi
from healthcare.domain.npi import check_npi
from healthcare.service.charts import NewPatient

BREAK_GLASS_MINUTES = 60
RETRY_MIN_AGE_SECONDS = 30


def who(subject: str, role: str) -> Principal:
    return Principal(subject, "acme", roles=frozenset({role}))


ADMIN = who("ada", "admin")


def valid_npi(n: int) -> str:
    """The ``n``-th NPI whose check digit holds."""
    for check in range(10):
        candidate = f"{100_000_000 + n}{check}"
        try:
            return check_npi(candidate)
        except InvalidNpi:
            continue
    raise AssertionError("some check digit always fits")


@dataclass
class World:
    clinic: Clinic
    patients: InMemoryPatients
    care: InMemoryCare
    disclosures: InMemoryDisclosures
    invoices: InMemoryInvoices
    banking: FakeBanking
    audit: InMemoryAuditLog
    clock: ManualClock
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def patient(self, *, subject: str | None = None, ssn: str | None = None) -> str:
        n = next(self.ids)
        new = NewPatient(
            f"MRN-{n}", f"Pat {n}", "1980-01-01", "1 Main St", "555-0100", "INS-9", ssn, subject
        )
        return self.clinic.charts.register(ADMIN, new).id

    def provider(self, subject: str, kind: str = "clinician") -> str:
        n = next(self.ids)
        return self.clinic.directory.add_provider(
            ADMIN, npi=valid_npi(n), name=subject.title(), kind=kind, subject=subject
        ).id

    def encounter(self, patient_id: str, provider_id: str) -> str:
        return self.clinic.directory.add_encounter(ADMIN, patient_id, provider_id).id


@pytest.fixture
def world() -> World:
    patients, disclosures = InMemoryPatients(), InMemoryDisclosures()
    care = InMemoryCare(patients)
    invoices, banking, audit, clock = (
        InMemoryInvoices(),
        FakeBanking(),
        InMemoryAuditLog(),
        ManualClock(),
    )
    providers = InMemoryProviders()
    clinic = bootstrap(
        HealthcareSettings(
            break_glass_minutes=BREAK_GLASS_MINUTES,
            billing_retry_min_age_seconds=RETRY_MIN_AGE_SECONDS,
        ),
        patients=patients,
        providers=providers,
        care=care,
        records=InMemoryRecords(providers),
        disclosures=disclosures,
        invoices=invoices,
        clinics=InMemoryClinics(patients),
        payments=banking,
        audit=audit,
        cipher=InMemoryCipher(),
        inbox=InMemoryInbox(),
        blind=BlindIndex(b"k" * 32),
        clock=clock,
    )
    return World(clinic, patients, care, disclosures, invoices, banking, audit, clock)
