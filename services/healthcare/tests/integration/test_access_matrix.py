"""The HIPAA access rules through the API: roles x purposes x relationship x consent.

The expected outcome of every cell is written out here, independently of the domain code,
and every read (allowed or denied) must leave exactly one audit event for that record.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from services.healthcare.tests.conftest import valid_npi

pytestmark = pytest.mark.integration

PURPOSES = ("treatment", "payment", "operations")


async def test_record_access_matrix_and_one_audit_event_per_read(clinic: Any) -> None:
    related_clinician = await clinic.provider("dr-rel")
    await clinic.provider("dr-other")
    related_nurse = await clinic.provider("rn-rel", "nurse")
    await clinic.provider("rn-other", "nurse")
    patient = await clinic.patient(subject="pat-self")
    await clinic.encounter(patient["id"], related_clinician)
    await clinic.encounter(patient["id"], related_nurse)
    author = clinic.as_("dr-rel", "clinician")
    written = await author.post(
        "/api/v1/records",
        json={
            "patient_id": patient["id"],
            "kind": "note",
            "content": clinic.canary("Canary note: suspected appendicitis"),
        },
    )
    assert written.status_code == 201, written.text
    record = written.json()["id"]

    # (caller subject, role, has a care relationship)
    callers = [
        ("dr-rel", "clinician", True),
        ("dr-other", "clinician", False),
        ("rn-rel", "nurse", True),
        ("rn-other", "nurse", False),
        ("bill", "billing", False),
        ("ada", "admin", False),
        ("audrey", "auditor", False),
        ("pat-self", "patient", False),
        ("pat-else", "patient", False),
    ]

    def expected(subject: str, role: str, related: bool, purpose: str, consent: bool) -> bool:
        if role == "patient":
            return subject == "pat-self"  # own chart, whatever the purpose
        return role in ("clinician", "nurse") and purpose == "treatment" and related and consent

    owner = clinic.as_("pat-self", "patient")
    reads = 0
    cells = 0
    for consent in (True, False):
        answer = await owner.put(
            f"/api/v1/patients/{patient['id']}/consent", json={"granted": consent}
        )
        assert answer.status_code == 200, answer.text
        for (subject, role, related), purpose in itertools.product(callers, PURPOSES):
            response = await clinic.as_(subject, role).get(
                f"/api/v1/records/{record}", params={"purpose": purpose}
            )
            reads += 1
            cells += 1
            allowed = expected(subject, role, related, purpose, consent)
            assert response.status_code == (200 if allowed else 403), (
                subject,
                role,
                purpose,
                consent,
                response.text,
            )
            if allowed:
                assert response.json()["content"] == "Canary note: suspected appendicitis"
            else:
                assert response.json()["type"] == "urn:lift:problem:access-denied"
                assert "appendicitis" not in response.text
    assert cells == 2 * len(callers) * len(PURPOSES)

    reads_audited = [
        e
        for e in clinic.audit_events()
        if e.resource.endswith(f"/record/{record}") and e.action.startswith("phi.")
    ]
    assert len(reads_audited) == reads
    assert {e.outcome for e in reads_audited} == {"success", "denied"}
    assert all(e.details["purpose"] in PURPOSES for e in reads_audited)


async def test_restriction_beats_the_relationship_and_break_glass_is_timed_and_flagged(
    clinic: Any,
) -> None:
    treating = await clinic.provider("dr-treat")
    await clinic.provider("dr-er")
    patient = await clinic.patient(subject="pat-bg")
    await clinic.encounter(patient["id"], treating)
    note = await clinic.as_("dr-treat", "clinician").post(
        "/api/v1/records",
        json={
            "patient_id": patient["id"],
            "kind": "diagnosis",
            "content": clinic.canary("Canary diagnosis: type 1 diabetes"),
        },
    )
    record = note.json()["id"]
    er = clinic.as_("dr-er", "clinician")
    url = f"/api/v1/records/{record}"

    assert (await er.get(url, params={"purpose": "treatment"})).status_code == 403
    short = await er.post(f"/api/v1/patients/{patient['id']}/break-glass", json={"reason": "x"})
    assert short.status_code == 422  # a reason is required
    granted = await er.post(
        f"/api/v1/patients/{patient['id']}/break-glass",
        json={"reason": "unconscious in the emergency room"},
    )
    assert granted.status_code == 201, granted.text
    assert (await er.get(url, params={"purpose": "treatment"})).status_code == 200
    assert (await er.get(url, params={"purpose": "payment"})).status_code == 403

    nurse = await clinic.provider("rn-er", "nurse")
    assert nurse
    glass = await clinic.as_("rn-er", "nurse").post(
        f"/api/v1/patients/{patient['id']}/break-glass",
        json={"reason": "unconscious in the emergency room"},
    )
    assert glass.status_code == 403  # clinicians only

    emergency = [e for e in clinic.audit_events() if e.action == "phi.emergency-read"]
    assert len(emergency) == 1
    assert emergency[0].emergency is True
    report = await clinic.as_("audrey", "auditor").get("/api/v1/compliance/reports/hipaa")
    assert report.status_code == 200, report.text
    assert "emergency" in report.text

    # The patient restricts the treating provider: the relationship no longer suffices.
    owner = clinic.as_("pat-bg", "patient")
    await owner.put(
        f"/api/v1/patients/{patient['id']}/consent",
        json={"granted": True, "restricted_providers": [treating]},
    )
    treat = clinic.as_("dr-treat", "clinician")
    assert (await treat.get(url, params={"purpose": "treatment"})).status_code == 403

    # Break-glass expires.
    from datetime import timedelta

    charts = clinic.graph.charts
    later = charts.clock() + charts.break_glass_for + timedelta(seconds=1)
    charts.clock = lambda: later
    assert (await er.get(url, params={"purpose": "treatment"})).status_code == 403

    listed = await owner.get(f"/api/v1/patients/{patient['id']}/disclosures")
    assert listed.status_code == 200
    entries = listed.json()["items"]
    assert [e["accessor"] for e in entries if e["emergency"]] == ["dr-er"]
    assert {e["outcome"] for e in entries} == {"success", "denied"}
    assert all(e["purpose"] for e in entries)
    other = await clinic.as_("dr-er", "clinician").get(
        f"/api/v1/patients/{patient['id']}/disclosures"
    )
    assert other.status_code == 403


async def test_each_role_sees_only_its_fields_and_the_ssn_never(clinic: Any) -> None:
    doc = await clinic.provider("dr-fields")
    patient = await clinic.patient(subject="pat-fields")
    await clinic.encounter(patient["id"], doc)
    url = f"/api/v1/patients/{patient['id']}"
    views = {
        "clinician": (
            await clinic.as_("dr-fields", "clinician").get(url, params={"purpose": "treatment"})
        ).json(),
        "billing": (
            await clinic.as_("bill", "billing").get(url, params={"purpose": "payment"})
        ).json(),
        "admin": (
            await clinic.as_("ada", "admin").get(url, params={"purpose": "operations"})
        ).json(),
        "patient": (
            await clinic.as_("pat-fields", "patient").get(url, params={"purpose": "treatment"})
        ).json(),
    }
    assert set(views["clinician"]) == {
        "id",
        "name",
        "date_of_birth",
        "address",
        "phone",
        "mrn",
        "consent",
    }
    assert set(views["billing"]) == {"id", "name", "date_of_birth", "address", "mrn", "insurance"}
    assert set(views["admin"]) == {"id", "name", "mrn", "consent"}
    assert set(views["patient"]) == {
        "id",
        "name",
        "date_of_birth",
        "address",
        "phone",
        "mrn",
        "insurance",
        "consent",
    }
    assert views["billing"]["insurance"] == patient["insurance"]
    for view in views.values():
        assert "ssn" not in view
        assert patient["ssn"] not in str(view)
    denied = await clinic.as_("bill", "billing").get(url, params={"purpose": "treatment"})
    assert denied.status_code == 403

    stored = clinic.graph.storage.patients.model.get(clinic.tenant, patient["id"])
    assert patient["ssn"] not in str(stored.attribute_values)
    assert patient["name"] not in str(stored.attribute_values)

    by_ssn = await clinic.as_("ada", "admin").get(
        "/api/v1/patients/search", params={"ssn": patient["ssn"]}
    )
    assert [h["id"] for h in by_ssn.json()["items"]] == [patient["id"]]
    refused = await clinic.as_("dr-fields", "clinician").get(
        "/api/v1/patients/search", params={"ssn": patient["ssn"]}
    )
    assert refused.status_code == 403
    by_mrn = await clinic.as_("dr-fields", "clinician").get(
        "/api/v1/patients/search", params={"mrn": patient["mrn"]}
    )
    assert by_mrn.json() == {"items": [{"id": patient["id"], "mrn": patient["mrn"]}]}


@pytest.mark.parametrize(
    ("subject", "roles"),
    [
        ("dr-unregistered", ["clinician"]),  # a care role but no provider record
        ("rn-unregistered", ["nurse"]),
        ("shopper", ["customer"]),  # no healthcare role at all
        ("nobody", []),
    ],
)
async def test_every_denied_phi_read_is_audited_and_disclosed_once(
    clinic: Any, subject: str, roles: list[str]
) -> None:
    author = f"dr-{uuid.uuid4().hex[:6]}"
    patient = await clinic.patient(subject=f"pat-{uuid.uuid4().hex[:6]}")
    await clinic.encounter(patient["id"], await clinic.provider(author))
    record = await clinic.as_(author, "clinician").post(
        "/api/v1/records",
        json={"patient_id": patient["id"], "kind": "note", "content": "stable"},
    )
    assert record.status_code == 201, record.text
    caller = clinic._client(clinic.app, subject, roles, clinic.tenant)
    paths = [
        f"/api/v1/patients/{patient['id']}",
        f"/api/v1/patients/{patient['id']}/records",
        f"/api/v1/records/{record.json()['id']}",
    ]
    for path in paths:
        response = await caller.get(path, params={"purpose": "treatment"})
        assert response.status_code == 403, (path, response.text)
    mine = [e for e in clinic.audit_events() if e.actor == subject and e.action == "phi.read"]
    assert len(mine) == len(paths)
    assert all(e.outcome == "denied" for e in mine)
    admin = clinic.as_("ada", "admin")
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:  # two at a time: every disclosure is reachable through the cursor
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await admin.get(f"/api/v1/patients/{patient['id']}/disclosures", params=params)
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    denied = [d for d in seen if d["accessor"] == subject]
    assert len(denied) == len(paths)
    assert {d["outcome"] for d in denied} == {"denied"}


async def test_a_phi_read_of_no_patient_is_audited_too(clinic: Any) -> None:
    snoop = clinic.as_(f"dr-{uuid.uuid4().hex[:6]}", "clinician")
    missing = f"pat_{uuid.uuid4().hex}"
    for path in (f"/api/v1/patients/{missing}", f"/api/v1/patients/{missing}/records"):
        assert (await snoop.get(path, params={"purpose": "treatment"})).status_code == 404
    events = [e for e in clinic.audit_events() if missing in e.resource]
    assert [(e.action, e.outcome) for e in events] == [("phi.read", "denied")] * 2


async def test_one_patient_per_ssn_claimed_in_the_registration_transaction(clinic: Any) -> None:
    first = await clinic.patient()
    admin = clinic.as_("ada", "admin")
    again = await admin.post(
        "/api/v1/patients",
        json={"mrn": "MRN-TWICE1", "name": "Someone Else", "date_of_birth": "1990-01-01",
              "ssn": first["ssn"]},
    )  # fmt: skip
    assert again.status_code == 409
    assert again.json()["type"] == "urn:lift:problem:duplicate-ssn"
    assert first["ssn"] not in again.text
    by_ssn = await admin.get("/api/v1/patients/search", params={"ssn": first["ssn"]})
    assert [h["id"] for h in by_ssn.json()["items"]] == [first["id"]]
    # The refused registration left nothing behind: its MRN is still free.
    free = await admin.post(
        "/api/v1/patients",
        json={"mrn": "MRN-TWICE1", "name": "Someone Else", "date_of_birth": "1990-01-01"},
    )
    assert free.status_code == 201, free.text


async def test_the_provider_directory_pages_for_the_tenant_only(clinic: Any) -> None:
    made = sorted([await clinic.provider(f"dr-dir{n}") for n in range(3)])
    listed, cursor = [], None
    while True:
        page = await clinic.as_("pat", "patient").get(
            "/api/v1/providers", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        listed += [p["id"] for p in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(set(listed) & set(made)) == made
    assert len(listed) == len(set(listed))
    foreign = await clinic.as_("ada", "admin", tenant="globex").get("/api/v1/providers")
    assert not set(made) & {p["id"] for p in foreign.json()["items"]}


async def test_one_login_is_one_provider_and_a_refused_registration_leaves_nothing(
    clinic: Any,
) -> None:
    """The ``sub#`` claim written with the provider: a second provider for the same subject
    is 409 (access decisions never have two to choose from), its NPI stays free, and the
    first provider is the one the subject acts as."""
    first = await clinic.provider("dr-once")
    admin = clinic.as_("ada", "admin")
    npi = valid_npi()
    again = await admin.post(
        "/api/v1/providers",
        json={"npi": npi, "name": "Dr Twice", "kind": "clinician", "subject": "dr-once"},
    )
    assert again.status_code == 409
    assert again.json()["type"] == "urn:lift:problem:duplicate-subject"
    free = await admin.post(
        "/api/v1/providers",
        json={"npi": npi, "name": "Dr Other", "kind": "clinician", "subject": "dr-other"},
    )
    assert free.status_code == 201, free.text
    patient = await clinic.patient()
    await clinic.encounter(patient["id"], first)
    seen = await clinic.as_("dr-once", "clinician").get(
        f"/api/v1/patients/{patient['id']}", params={"purpose": "treatment"}
    )
    assert seen.status_code == 200, seen.text
