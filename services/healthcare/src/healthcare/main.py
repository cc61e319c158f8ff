"""The healthcare app: the lift_core stack around healthcare's routes, on ``bootstrap``'s
graph, with the periodic invoice retry."""

from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier
from lift_core.tasks import PeriodicJob
from lift_core.wiring import create_service_app

from healthcare.api.routes import care, patients
from healthcare.bootstrap import SUBSCRIPTIONS, Clinic, bootstrap
from healthcare.config import HealthcareSettings
from healthcare.domain import exceptions as e
from healthcare.domain.payments import PaymentUnknown

ERRORS: dict[type[Exception], tuple[int, str]] = {
    e.NotPermitted: (403, "not-permitted"),
    e.BankAccountNotFound: (422, "bank-account-not-found"),
    e.AccessDenied: (403, "access-denied"),
    e.PatientNotFound: (404, "patient-not-found"),
    e.ProviderNotFound: (404, "provider-not-found"),
    e.RecordNotFound: (404, "record-not-found"),
    e.EncounterNotFound: (404, "encounter-not-found"),
    e.InvoiceNotFound: (404, "invoice-not-found"),
    e.InvalidNpi: (422, "invalid-npi"),
    e.DuplicateMrn: (409, "duplicate-mrn"),
    e.DuplicateSsn: (409, "duplicate-ssn"),
    e.DuplicateNpi: (409, "duplicate-npi"),
    e.DuplicateSubject: (409, "duplicate-subject"),
    e.ClinicNotConfigured: (409, "clinic-not-configured"),
    e.InvoiceExists: (409, "invoice-exists"),
    e.PaymentServiceUnavailable: (503, "payment-service-unavailable"),
    PaymentUnknown: (503, "payment-service-unavailable"),
}


def create_healthcare_app(
    lift: LiftSettings | None = None,
    settings: HealthcareSettings | None = None,
    *,
    verifier: JwtVerifier | None = None,
    services: Clinic | None = None,
) -> FastAPI:
    """``services``: a graph built by ``bootstrap`` (tests pass one with their own gateway
    to banking, and keep it to look at storage)."""
    lift = lift or LiftSettings(service_name="healthcare")
    clinic = services or bootstrap(settings, lift=lift)
    s = clinic.settings

    async def retry_once() -> str | None:
        report = await clinic.billing.retry_pending(limit=s.billing_retry_batch)
        if not report.examined:
            return None
        return (
            f"examined {report.examined}, settled {report.settled}, pending {report.still_pending}"
        )

    return create_service_app(
        lift,
        clinic,
        title="Lift healthcare",
        description="Patients, providers, consent-gated medical records and billing. Every "
        "PHI access states a purpose, is decided by the HIPAA rules and is audited.",
        routers=[patients.router, care.router],
        error_map=ERRORS,
        subscriptions=SUBSCRIPTIONS,
        jobs=[PeriodicJob("invoice retry", s.billing_retry_interval_seconds, retry_once)],
        on_shutdown=clinic.payments.aclose,
        idempotency_sealer=clinic.cipher,
        verifier=verifier,
    )


@lru_cache(maxsize=1)
def app_from_environment() -> FastAPI:
    """For uvicorn: ``uvicorn healthcare.main:app_from_environment --factory``."""
    return create_healthcare_app()
