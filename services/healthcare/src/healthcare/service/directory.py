"""Providers, care relationships (encounters) and the clinic's billing settings."""

from __future__ import annotations

import uuid
from dataclasses import KW_ONLY, dataclass

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal

from healthcare.domain.access import Role, role_of
from healthcare.domain.exceptions import NotPermitted, ProviderNotFound
from healthcare.domain.models import ClinicAccount, Encounter, Provider
from healthcare.domain.npi import check_npi
from healthcare.service.ports import Position, Storage


@dataclass
class Directory:
    storage: Storage
    audit: AuditLog
    _: KW_ONLY
    clock: Clock = utc_now

    def configure(self, principal: Principal, merchant_account_id: str, currency: str) -> None:
        if role_of(principal.roles) is not Role.ADMIN:
            raise NotPermitted("clinic settings are for admins")
        self.storage.clinics.save(ClinicAccount(principal.tenant_id, merchant_account_id, currency))
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
        self.storage.providers.add(provider)
        self.audit.record("provider.create", f"provider/{provider.id}", "success", {"npi": npi})
        return provider

    def provider(self, principal: Principal, provider_id: str) -> Provider:
        if role_of(principal.roles) is None:
            raise ProviderNotFound(provider_id)
        return self.storage.providers.get(principal.tenant_id, provider_id)

    def providers(
        self, principal: Principal, *, limit: int, start: Position = None
    ) -> tuple[list[Provider], Position]:
        """The tenant's directory: anyone of the tenant with a role may read it."""
        if role_of(principal.roles) is None:
            raise NotPermitted("the directory is for the tenant's staff and patients")
        return self.storage.providers.page(principal.tenant_id, limit=limit, start=start)

    def add_encounter(self, principal: Principal, patient_id: str, provider_id: str) -> Encounter:
        """Links a provider to a patient: the care relationship access decisions need."""
        role = role_of(principal.roles)
        if role not in (Role.ADMIN, Role.CLINICIAN, Role.NURSE):
            raise NotPermitted("encounters are recorded by admins, clinicians or nurses")
        self.storage.patients.get(principal.tenant_id, patient_id)
        self.storage.providers.get(principal.tenant_id, provider_id)
        encounter = Encounter(
            id=f"enc_{uuid.uuid4().hex}",
            tenant_id=principal.tenant_id,
            patient_id=patient_id,
            provider_id=provider_id,
            created_at=iso(self.clock()),
        )
        self.storage.care.add_encounter(encounter)
        self.audit.record(
            "encounter.create",
            f"encounter/{encounter.id}",
            "success",
            {"patient": patient_id, "provider": provider_id},
        )
        return encounter
