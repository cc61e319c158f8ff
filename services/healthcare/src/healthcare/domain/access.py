"""HIPAA access rules, as pure functions: who may see which part of a chart, and why.

Minimum necessary: each role has the purposes it may state and the patient fields it may
see. Record content (notes, diagnoses) is clinical: only the patient themselves and
treating clinicians or nurses see it, for treatment, with a care relationship and the
patient's consent, unless the patient restricted that provider. Break-glass stands in for
the relationship and the consent, for a limited time, and is flagged; it never overrides a
restriction the patient placed on that provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CLINICIAN = "clinician"
    NURSE = "nurse"
    BILLING = "billing"
    PATIENT = "patient"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Purpose(StrEnum):
    TREATMENT = "treatment"
    PAYMENT = "payment"
    OPERATIONS = "operations"


CARE_ROLES = frozenset({Role.CLINICIAN, Role.NURSE})

PURPOSES: dict[Role, frozenset[Purpose]] = {
    Role.CLINICIAN: frozenset({Purpose.TREATMENT, Purpose.OPERATIONS}),
    Role.NURSE: frozenset({Purpose.TREATMENT}),
    Role.BILLING: frozenset({Purpose.PAYMENT}),
    Role.ADMIN: frozenset({Purpose.OPERATIONS}),
    Role.PATIENT: frozenset(Purpose),
    Role.AUDITOR: frozenset(),
}

# The patient fields each role may see (never the SSN: it is not returned to anyone).
DEMOGRAPHICS = ("name", "date_of_birth", "address", "phone")
FIELDS: dict[Role, frozenset[str]] = {
    Role.CLINICIAN: frozenset({*DEMOGRAPHICS, "mrn", "consent"}),
    Role.NURSE: frozenset({*DEMOGRAPHICS, "mrn", "consent"}),
    Role.BILLING: frozenset({"name", "date_of_birth", "address", "mrn", "insurance"}),
    Role.PATIENT: frozenset({*DEMOGRAPHICS, "mrn", "insurance", "consent"}),
    Role.ADMIN: frozenset({"name", "mrn", "consent"}),
    Role.AUDITOR: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known about one access attempt."""

    role: Role
    purpose: Purpose
    own_chart: bool  # the caller is this patient
    relationship: bool  # the caller's provider has an encounter with the patient
    consent: bool  # the patient's consent is granted
    restricted: bool  # the patient restricted the caller's provider
    break_glass: bool  # the caller holds an unexpired emergency grant for the patient


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    emergency: bool = False


# What the caller is told too: how a care relationship comes to exist.
NO_RELATIONSHIP = (
    "no care relationship: an encounter creates one (POST /api/v1/encounters); in an "
    "emergency a clinician may break the glass"
)


def decide_record(f: Facts) -> Decision:
    """May the caller read clinical record content? The first rule that applies decides."""
    if f.role is Role.PATIENT:
        return Decision(f.own_chart, "own chart" if f.own_chart else "not own chart")
    refusals = (
        (f.role not in CARE_ROLES, "minimum necessary: role does not see clinical content"),
        (
            f.purpose is not Purpose.TREATMENT,
            f"purpose {f.purpose} not allowed for clinical content",
        ),
        (f.restricted, "the patient restricted this provider"),
    )
    for refused, reason in refusals:
        if refused:
            return Decision(False, reason)
    if f.relationship and f.consent:
        return Decision(True, "treatment relationship with consent")
    if f.break_glass:
        return Decision(True, "break-glass emergency access", emergency=True)
    if not f.relationship:
        return Decision(False, NO_RELATIONSHIP)
    return Decision(False, "consent withdrawn")


def decide_demographics(f: Facts) -> Decision:
    """May the caller read the patient's profile (the fields ``FIELDS`` gives the role)?"""
    if f.role is Role.PATIENT:
        return Decision(f.own_chart, "own chart" if f.own_chart else "not own chart")
    if f.purpose not in PURPOSES[f.role]:
        return Decision(False, f"purpose {f.purpose} not allowed for role {f.role}")
    if f.role in CARE_ROLES:
        return decide_record(f)  # a chart is opened under the same conditions as its notes
    return Decision(True, f"{f.role} for {f.purpose}")


def role_of(roles: frozenset[str]) -> Role | None:
    """The caller's healthcare role (the most clinical one if several)."""
    for role in (Role.CLINICIAN, Role.NURSE, Role.BILLING, Role.ADMIN, Role.PATIENT, Role.AUDITOR):
        if role.value in roles:
            return role
    return None
