"""Healthcare's object graph, built in one place for the app, Lambda, the invoice retry job
and tests.

``bootstrap(settings, lift=...)`` binds the DynamoDB tables, the audit chain, the data-key
cipher, the blind index and the payment gateway on banking; any collaborator passed as an
override (a port's in-memory fake, a gateway, an audit log, a cipher, a clock) is used
instead. With every storage port, the audit log, the cipher and the blind index overridden
nothing touches DynamoDB, and with ``payments`` overridden nothing calls banking.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict, Unpack

from lift_core import LiftSettings
from lift_core.audit import HIPAA, PCI_DSS, SOC2, ActionRule, AuditLog, AuditPolicy
from lift_core.clock import Clock, utc_now
from lift_core.events import Consumer, InboxPort, Subscription
from lift_core.protection import BlindIndex, FieldCipher
from lift_core.wiring import ServiceTables
from lift_mesh import as_service

from healthcare.adapters.banking import BankingPayments
from healthcare.adapters.billing import DynamoClinics, DynamoInvoices
from healthcare.adapters.charts import DynamoCare, DynamoDisclosures, DynamoRecords
from healthcare.adapters.models import ClinicTables
from healthcare.adapters.people import DynamoPatients, DynamoProviders
from healthcare.config import HealthcareSettings
from healthcare.service.billing import Billing
from healthcare.service.charts import Charts
from healthcare.service.directory import Directory
from healthcare.service.ports import (
    CareRepository,
    ClinicRepository,
    DisclosureLog,
    InvoiceRepository,
    PatientRepository,
    PaymentGateway,
    ProviderRepository,
    RecordRepository,
    Storage,
)

_STORAGE = ("patients", "providers", "care", "records", "disclosures", "invoices", "clinics")


class Overrides(TypedDict, total=False):
    patients: PatientRepository
    providers: ProviderRepository
    care: CareRepository
    records: RecordRepository
    disclosures: DisclosureLog
    invoices: InvoiceRepository
    clinics: ClinicRepository
    payments: PaymentGateway
    audit: AuditLog
    cipher: FieldCipher
    blind: BlindIndex
    inbox: InboxPort
    clock: Clock


@dataclass(frozen=True)
class Clinic:
    settings: HealthcareSettings
    charts: Charts
    directory: Directory
    billing: Billing
    storage: Storage
    payments: PaymentGateway
    audit: AuditLog
    cipher: FieldCipher
    consumers: tuple[Consumer, ...]
    platform: ServiceTables | None  # None when storage, audit and cipher are all injected


# The events healthcare consumes, one queue each (the SAM template declares the same).
PAYMENTS = Subscription("healthcare-payments", "banking", ("payment.captured", "payment.declined"))
SUBSCRIPTIONS = (PAYMENTS,)


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


def bootstrap(
    settings: HealthcareSettings | None = None,
    *,
    lift: LiftSettings | None = None,
    **overrides: Unpack[Overrides],
) -> Clinic:
    s = settings or HealthcareSettings()
    platform = None
    if not {*_STORAGE, "audit", "cipher", "blind", "inbox"} <= overrides.keys():
        lift = lift or LiftSettings(service_name="healthcare")
        t = ClinicTables.bind(lift)
        platform = ServiceTables.bind(lift, "healthcare", t.all(), data_keys=True)
        wire = t.connection()
        overrides = {
            "patients": DynamoPatients(t.patients, wire),
            "providers": DynamoProviders(t.providers, wire),
            "care": DynamoCare(t.care, wire, t.patients),
            "records": DynamoRecords(t.records, t.providers),
            "disclosures": DynamoDisclosures(t.disclosures, wire),
            "invoices": DynamoInvoices(t.invoices, wire),
            "clinics": DynamoClinics(t.clinics, t.patients),
            "audit": platform.recorder(audit_policy(s)),
            "cipher": platform.cipher(),
            "blind": BlindIndex(base64.b64decode(lift.blind_index_key.get_secret_value())),
            "inbox": platform.inbox(),
            **overrides,
        }
    if "payments" not in overrides:
        lift = lift or LiftSettings(service_name="healthcare")
        overrides["payments"] = BankingPayments(
            *as_service("banking", lift, subject=s.service_subject, dev_issuer_url=s.identity_url)
        )
    storage = Storage(*(overrides[name] for name in _STORAGE))  # type: ignore[literal-required]
    payments, audit, cipher = overrides["payments"], overrides["audit"], overrides["cipher"]
    clock = overrides.get("clock", utc_now)
    billing = Billing(
        storage,
        payments,
        audit,
        min_age=timedelta(seconds=s.billing_retry_min_age_seconds),
        clock=clock,
    )
    handlers = dict.fromkeys(PAYMENTS.types, billing.on_payment)
    return Clinic(
        settings=s,
        charts=Charts(
            storage,
            cipher,
            overrides["blind"],
            audit,
            payments,
            break_glass_for=timedelta(minutes=s.break_glass_minutes),
            clock=clock,
        ),
        directory=Directory(storage, audit, clock=clock),
        billing=billing,
        storage=storage,
        payments=payments,
        audit=audit,
        cipher=cipher,
        consumers=(Consumer(PAYMENTS, handlers, overrides["inbox"]),),
        platform=platform,
    )
