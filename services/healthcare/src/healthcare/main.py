"""The healthcare app: wiring of tables, cipher, banking client, use cases, retry task."""

from __future__ import annotations

import base64
from datetime import timedelta
from functools import lru_cache

from fastapi import FastAPI

from lift_core import LiftSettings, create_app
from lift_core.audit import (
    HIPAA,
    PCI_DSS,
    SOC2,
    ActionRule,
    AuditPolicy,
)
from lift_core.auth import JwtVerifier
from lift_core.dynamo import bind_model
from lift_core.protection import BlindIndex
from lift_core.tasks import PeriodicJob, background
from lift_core.wiring import ServiceTables
from lift_mesh import (
    MeshSettings,
    PaymentsClient,
    PaymentUnknown,
    ServiceClient,
    ServiceTokens,
    service_tokens,
)

from healthcare.adapters.models import (
    CareModel,
    ClinicModel,
    DisclosureModel,
    InvoiceModel,
    PatientModel,
    ProviderModel,
    RecordModel,
)
from healthcare.adapters.repository import ClinicTables, DynamoClinic
from healthcare.api.routes import care, patients
from healthcare.config import HealthcareSettings
from healthcare.domain import exceptions as e
from healthcare.service.billing import Billing
from healthcare.service.charts import Charts
from healthcare.service.directory import Directory

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
    e.DuplicateNpi: (409, "duplicate-npi"),
    e.ClinicNotConfigured: (409, "clinic-not-configured"),
    e.InvoiceExists: (409, "invoice-exists"),
    e.PaymentServiceUnavailable: (503, "payment-service-unavailable"),
    PaymentUnknown: (503, "payment-service-unavailable"),
}


def audit_policy(settings: HealthcareSettings) -> AuditPolicy:
    """HIPAA 164.312(b) for every PHI access; break-glass flagged as emergency."""
    days = settings.audit_retention_days
    phi = ActionRule((HIPAA,), retention_days=days, sensitive=True)
    return AuditPolicy(
        {
            "phi.read": phi,
            "phi.emergency-read": ActionRule((HIPAA,), days, sensitive=True, emergency=True),
            "phi.break-glass": ActionRule((HIPAA,), days, sensitive=True, emergency=True),
            "record.*": phi,
            "patient.*": phi,
            "consent.*": phi,
            "invoice.*": ActionRule((HIPAA, PCI_DSS), retention_days=days),
        },
        default=ActionRule((HIPAA, SOC2), retention_days=days),
    )


def create_healthcare_app(
    lift: LiftSettings | None = None,
    hc: HealthcareSettings | None = None,
    *,
    verifier: JwtVerifier | None = None,
    banking: ServiceClient | None = None,
    tokens: ServiceTokens | None = None,
) -> FastAPI:
    lift = lift or LiftSettings(service_name="healthcare")
    s = hc or HealthcareSettings()
    tables = ClinicTables(
        patients=bind_model(PatientModel, lift, "healthcare-patients"),
        providers=bind_model(ProviderModel, lift, "healthcare-providers"),
        care=bind_model(CareModel, lift, "healthcare-care"),
        records=bind_model(RecordModel, lift, "healthcare-records"),
        disclosures=bind_model(DisclosureModel, lift, "healthcare-disclosures"),
        invoices=bind_model(InvoiceModel, lift, "healthcare-invoices"),
        clinics=bind_model(ClinicModel, lift, "healthcare-clinics"),
    )
    platform = ServiceTables.bind(lift, "healthcare", tables.all(), data_keys=True)
    clinic = DynamoClinic(tables)
    audit = platform.recorder(audit_policy(s))
    cipher = platform.cipher()
    blind = BlindIndex(base64.b64decode(lift.blind_index_key.get_secret_value()))
    mesh = MeshSettings()
    payments = PaymentsClient(
        banking or ServiceClient("banking", settings=mesh),
        tokens
        or service_tokens(lift, mesh, subject=s.service_subject, dev_issuer_url=s.identity_url),
    )
    billing = Billing(
        clinic, payments, audit, retry_min_age_seconds=s.billing_retry_min_age_seconds
    )

    async def retry_once() -> str | None:
        report = await billing.retry_pending(limit=s.billing_retry_batch)
        if not report.examined:
            return None
        return (
            f"examined {report.examined}, settled {report.settled}, pending {report.still_pending}"
        )

    lifespan = background(
        PeriodicJob("invoice retry", s.billing_retry_interval_seconds, retry_once),
        on_shutdown=payments.client.aclose,
    )

    app = create_app(
        settings=lift,
        title="Lift healthcare",
        description="Patients, providers, consent-gated medical records and billing. Every "
        "PHI access states a purpose, is decided by the HIPAA rules and is audited.",
        routers=[patients.router, care.router],
        error_map=ERRORS,
        readiness_checks=platform.readiness_checks(),
        idempotency_store=platform.idempotency_store(),
        idempotency_sealer=cipher,
        audit=audit,
        verifier=verifier,
        lifespan=lifespan,
    )
    app.state.charts = Charts(
        clinic,
        cipher,
        blind,
        audit,
        break_glass=timedelta(minutes=s.break_glass_minutes),
    )
    app.state.directory = Directory(clinic, audit)
    app.state.billing = billing
    app.state.clinic = clinic
    return app


@lru_cache(maxsize=1)
def app_from_environment() -> FastAPI:
    """For uvicorn: ``uvicorn healthcare.main:app_from_environment --factory``."""
    return create_healthcare_app()
