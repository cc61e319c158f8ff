"""The HIPAA gate every PHI read goes through: the facts the rules of ``domain.access``
decide on, read in one round trip, and the record of each attempt, allowed or denied,
written once to the audit trail (break-glass reads flagged as emergencies) and once to the
patient's accounting of disclosures, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso
from lift_core.context import Principal

from healthcare.domain.access import CARE_ROLES, Decision, Facts, Purpose, Role, role_of
from healthcare.domain.exceptions import AccessDenied, NotPermitted, PatientNotFound
from healthcare.domain.models import Disclosure, Patient, Provider
from healthcare.service.ports import Standing, Storage


@dataclass
class PhiAccess:
    storage: Storage
    audit: AuditLog
    clock: Clock

    def care_provider(self, principal: Principal) -> Provider | None:
        """The caller's provider when they act in a care role (what access decisions weigh)."""
        if role_of(principal.roles) not in CARE_ROLES:
            return None
        return self.storage.providers.find_by_subject(principal.tenant_id, principal.subject)

    def standing(
        self, principal: Principal, patient_id: str, provider: Provider | None
    ) -> Standing:
        provider_id = provider.id if provider is not None else None
        return self.storage.care.standing(principal.tenant_id, patient_id, provider_id)

    def decide_and_disclose(
        self,
        principal: Principal,
        patient_id: str,
        purpose: Purpose,
        rule: Callable[[Facts], Decision],
        *,
        resource: str,
        provider: Provider | None,
    ) -> tuple[Role, Patient]:
        """Decide a PHI read and account for it, whoever asks: allowed or denied, a caller
        with no healthcare role or no provider record included, exactly one audit event and
        one disclosure, written together. Returns the role the read is allowed under and
        the patient, or raises AccessDenied. An attempt on no patient is still an attempt:
        it is audited (there is no chart to account it in)."""
        role = role_of(principal.roles)
        standing = self.standing(principal, patient_id, provider)  # one round trip
        patient = standing.patient
        if patient is None:
            self.audit.record(
                "phi.read",
                resource,
                "denied",
                {"purpose": purpose.value, "reason": "no such patient"},
            )
            raise PatientNotFound(patient_id)
        if role is None:
            decision = Decision(False, "the caller has no healthcare role")
        elif role in CARE_ROLES and provider is None:
            decision = Decision(False, "the caller is not a registered provider")
        else:
            decision = rule(self.facts(principal, standing, purpose, role, provider))
        self._disclose(
            principal,
            patient=patient,
            role=role.value if role is not None else "none",
            purpose=purpose,
            resource=resource,
            decision=decision,
        )
        if role is None or not decision.allowed:
            raise AccessDenied(decision.reason)
        return role, patient

    def facts(
        self,
        principal: Principal,
        standing: Standing,
        purpose: Purpose,
        role: Role,
        provider: Provider | None,
    ) -> Facts:
        """The facts the rules decide on, from what was read (``provider``: the caller's)."""
        patient = standing.patient
        assert patient is not None  # the callers refuse a read of no patient first
        relationship = restricted = break_glass = False
        if role in CARE_ROLES:
            if provider is None:
                raise NotPermitted("the caller is not a registered provider")
            relationship = standing.related
            restricted = provider.id in patient.consent.restricted_providers
            until = standing.break_glass_until
            break_glass = until is not None and datetime.fromisoformat(until) > self.clock()
        return Facts(
            role=role,
            purpose=purpose,
            own_chart=patient.subject is not None and patient.subject == principal.subject,
            relationship=relationship,
            consent=patient.consent.granted,
            restricted=restricted,
            break_glass=break_glass,
        )

    def _disclose(
        self,
        principal: Principal,
        *,
        patient: Patient,
        role: str,
        purpose: Purpose,
        resource: str,
        decision: Decision,
    ) -> None:
        outcome = "success" if decision.allowed else "denied"
        action = "phi.emergency-read" if decision.emergency else "phi.read"
        disclosure = Disclosure(
            at=iso(self.clock()),
            accessor=principal.subject,
            role=role,
            purpose=purpose.value,
            resource=resource,
            outcome=outcome,
            reason=decision.reason,
            emergency=decision.emergency,
        )
        self.audit.record(
            action,
            resource,
            outcome,
            {"purpose": purpose.value, "role": role, "reason": decision.reason},
            within=lambda staged: self.storage.disclosures.add(
                principal.tenant_id, patient.id, disclosure, audit=staged
            ),
        )
