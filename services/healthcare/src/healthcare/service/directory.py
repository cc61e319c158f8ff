"""Providers, care relationships (encounters) and the clinic's billing settings."""

from __future__ import annotations

import uuid

from lift_core.audit import AuditRecorder
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal

from healthcare.adapters.repository import DynamoClinic
from healthcare.domain.access import Role, role_of
from healthcare.domain.exceptions import NotPermitted, ProviderNotFound
from healthcare.domain.models import Encounter, Provider
from healthcare.domain.npi import check_npi


class Directory:
    def __init__(self, clinic: DynamoClinic, audit: AuditRecorder, *, clock: Clock = utc_now):
        self.clinic = clinic
        self.audit = audit
        self.clock = clock

    def configure(self, principal: Principal, merchant_account_id: str, currency: str) -> None:
        if role_of(principal.roles) is not Role.ADMIN:
            raise NotPermitted("clinic settings are for admins")
        self.clinic.save_clinic(principal.tenant_id, merchant_account_id, currency)
        self.audit.record(
            "clinic.configure",
            f"clinic/{principal.tenant_id}",
            "success",
            {"merchant_account_id": merchant_account_id},
        )

    def add_provider(
        self, principal: Principal, *, npi: str, name: str, kind: str, subject: str
    ) -> Provider:
        if role_of(principal.roles) is not Role.ADMIN:
            raise NotPermitted("providers are registered by admins")
        provider = Provider(
            id=f"prv_{uuid.uuid4().hex}",
            tenant_id=principal.tenant_id,
            npi=check_npi(npi),
            name=name,
            kind=kind,
            subject=subject,
            created_at=iso(self.clock()),
        )
        self.clinic.add_provider(provider)
        self.audit.record("provider.create", f"provider/{provider.id}", "success", {"npi": npi})
        return provider

    def provider(self, principal: Principal, provider_id: str) -> Provider:
        if role_of(principal.roles) is None:
            raise ProviderNotFound(provider_id)
        return self.clinic.provider(principal.tenant_id, provider_id)

    def add_encounter(self, principal: Principal, patient_id: str, provider_id: str) -> Encounter:
        """Links a provider to a patient: the care relationship access decisions need."""
        role = role_of(principal.roles)
        if role not in (Role.ADMIN, Role.CLINICIAN, Role.NURSE):
            raise NotPermitted("encounters are recorded by admins, clinicians or nurses")
        self.clinic.patient(principal.tenant_id, patient_id)
        self.clinic.provider(principal.tenant_id, provider_id)
        encounter = Encounter(
            id=f"enc_{uuid.uuid4().hex}",
            tenant_id=principal.tenant_id,
            patient_id=patient_id,
            provider_id=provider_id,
            created_at=iso(self.clock()),
        )
        self.clinic.add_encounter(encounter)
        self.audit.record(
            "encounter.create",
            f"encounter/{encounter.id}",
            "success",
            {"patient": patient_id, "provider": provider_id},
        )
        return encounter
