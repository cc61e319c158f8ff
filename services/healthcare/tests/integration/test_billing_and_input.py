"""Invoices through the real banking app, and bad input on every route."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def _billable(clinic: Any, *, funds: int, mandate: bool = True) -> dict[str, Any]:
    teller = clinic.bank("tess", "teller")
    merchant = (
        await teller.post(
            "/api/v1/accounts", json={"type": "merchant", "currency": "EUR", "owner": "healthcare"}
        )
    ).json()["id"]
    payer_bank = clinic.bank("pat-pay")
    account = (
        await payer_bank.post("/api/v1/accounts", json={"type": "checking", "currency": "EUR"})
    ).json()["id"]
    if funds:
        await teller.post(
            f"/api/v1/accounts/{account}/transactions",
            json={"kind": "deposit", "amount": funds, "currency": "EUR"},
        )
    if mandate:
        granted = await payer_bank.put(
            f"/api/v1/accounts/{account}/mandates/{merchant}",
            json={"max_amount": 100_000, "currency": "EUR"},
        )
        assert granted.status_code == 200, granted.text
    admin = clinic.as_("ada", "admin")
    assert (
        await admin.put("/api/v1/clinic", json={"merchant_account_id": merchant, "currency": "EUR"})
    ).status_code == 200
    patient = await clinic.patient(subject="pat-pay", bank_account_id=account)
    doc = await clinic.provider("dr-bill")
    encounter = await clinic.encounter(patient["id"], doc)
    return {"merchant": merchant, "account": account, "patient": patient, "encounter": encounter}


async def _balance(clinic: Any, account: str) -> int:
    body = (await clinic.bank("tess", "teller").get(f"/api/v1/accounts/{account}/balance")).json()
    return int(body["balance"])


async def test_an_invoice_is_charged_once_through_banking(clinic: Any) -> None:
    s = await _billable(clinic, funds=50_000)
    billing = clinic.as_("bill", "billing")
    paid = await billing.post(
        f"/api/v1/encounters/{s['encounter']}/invoice", json={"amount": 12_500}
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "PAID"
    again = await billing.post(
        f"/api/v1/encounters/{s['encounter']}/invoice", json={"amount": 12_500}
    )
    assert again.status_code == 409
    assert await _balance(clinic, s["account"]) == 37_500
    assert await _balance(clinic, s["merchant"]) == 12_500
    mine = await clinic.as_("pat-pay", "patient").get(f"/api/v1/invoices/{paid.json()['id']}")
    assert mine.json()["payment_id"] == paid.json()["payment_id"]
    stranger = await clinic.as_("pat-else", "patient").get(f"/api/v1/invoices/{paid.json()['id']}")
    assert stranger.status_code == 404


async def test_banking_down_leaves_the_invoice_pending_and_the_retry_pays_it_once(
    clinic: Any,
) -> None:
    s = await _billable(clinic, funds=50_000)
    clinic.link.mode = "down"
    pending = await clinic.as_("bill", "billing").post(
        f"/api/v1/encounters/{s['encounter']}/invoice", json={"amount": 9_900}
    )
    assert pending.status_code == 202, pending.text
    assert pending.json()["status"] == "PENDING"
    billing = clinic.graph.billing
    assert (await billing.retry_pending()).still_pending == 1  # still down
    clinic.link.mode = "up"
    report = await billing.retry_pending()
    assert report.settled == {"PAID": 1}
    assert (await billing.retry_pending()).examined == 0
    assert await _balance(clinic, s["account"]) == 50_000 - 9_900
    invoice = await clinic.as_("bill", "billing").get(f"/api/v1/invoices/{pending.json()['id']}")
    assert invoice.json()["status"] == "PAID"


async def test_a_refused_charge_declines_the_invoice_and_moves_no_money(clinic: Any) -> None:
    s = await _billable(clinic, funds=50_000, mandate=False)
    declined = await clinic.as_("bill", "billing").post(
        f"/api/v1/encounters/{s['encounter']}/invoice", json={"amount": 1_000}
    )
    assert (declined.json()["status"], declined.json()["reason"]) == ("DECLINED", "not-permitted")
    assert await _balance(clinic, s["account"]) == 50_000


async def test_bad_input_answers_a_clear_problem(clinic: Any) -> None:
    patient = await clinic.patient()
    doc = await clinic.provider("dr-input")
    admin, billing = clinic.as_("ada", "admin"), clinic.as_("bill", "billing")
    nurse = clinic.as_("rn-x", "nurse")
    stranger = clinic.as_("ada", "admin", tenant="other-tenant")
    cases: list[tuple[Any, str, str, Any, int, str]] = [
        (
            admin,
            "POST",
            "/api/v1/providers",
            {"npi": "1234567890", "name": "X", "kind": "clinician", "subject": "dr-x"},
            422,
            "invalid-npi",
        ),
        (
            admin,
            "POST",
            "/api/v1/providers",
            {"npi": "123", "name": "X", "kind": "clinician", "subject": "dr-x"},
            422,
            "validation-error",
        ),
        (
            admin,
            "POST",
            "/api/v1/patients",
            {"mrn": patient["mrn"], "name": "Dup", "date_of_birth": "1970-01-01"},
            409,
            "duplicate-mrn",
        ),
        (
            admin,
            "POST",
            "/api/v1/patients",
            {"mrn": "MRN-FUTURE", "name": "F", "date_of_birth": "2999-01-01"},
            422,
            "validation-error",
        ),
        (
            admin,
            "POST",
            "/api/v1/patients",
            {"mrn": "MRN-SSN1", "name": "S", "date_of_birth": "1970-01-01", "ssn": "123456789"},
            422,
            "validation-error",
        ),
        (
            billing,
            "POST",
            "/api/v1/patients",
            {"mrn": "MRN-BILL", "name": "B", "date_of_birth": "1970-01-01"},
            403,
            "not-permitted",
        ),
        (
            admin,
            "GET",
            f"/api/v1/patients/{patient['id']}?purpose=fun",
            None,
            422,
            "validation-error",
        ),
        (admin, "GET", f"/api/v1/patients/{patient['id']}", None, 422, "validation-error"),
        (
            admin,
            "GET",
            "/api/v1/patients/pat_nope?purpose=operations",
            None,
            404,
            "patient-not-found",
        ),
        (
            stranger,
            "GET",
            f"/api/v1/patients/{patient['id']}?purpose=operations",
            None,
            404,
            "patient-not-found",
        ),
        (admin, "GET", "/api/v1/records/rec_nope?purpose=treatment", None, 404, "record-not-found"),
        (
            nurse,
            "POST",
            "/api/v1/records",
            {"patient_id": patient["id"], "kind": "note", "content": "x"},
            403,
            "not-permitted",
        ),
        (
            clinic.as_("dr-input", "clinician"),
            "POST",
            "/api/v1/records",
            {"patient_id": patient["id"], "kind": "note", "content": "x"},
            403,
            "access-denied",
        ),
        (
            admin,
            "POST",
            "/api/v1/encounters",
            {"patient_id": patient["id"], "provider_id": "prv_nope"},
            404,
            "provider-not-found",
        ),
        (
            admin,
            "POST",
            "/api/v1/encounters",
            {"patient_id": "pat_nope", "provider_id": doc},
            404,
            "patient-not-found",
        ),
        (
            billing,
            "POST",
            "/api/v1/encounters/enc_nope/invoice",
            {"amount": 100},
            404,
            "encounter-not-found",
        ),
        (
            billing,
            "POST",
            "/api/v1/encounters/enc_nope/invoice",
            {"amount": 0},
            422,
            "validation-error",
        ),
        (admin, "GET", "/api/v1/patients/search", None, 403, "not-permitted"),
        (
            admin,
            "PUT",
            f"/api/v1/patients/{patient['id']}/consent",
            {"granted": True, "restricted_providers": ["nope"]},
            422,
            "validation-error",
        ),
        (billing, "GET", "/api/v1/invoices/inv_nope", None, 404, "invoice-not-found"),
    ]
    for client, method, path, body, status, slug in cases:
        response = await client.request(method, path, json=body)
        assert (response.status_code, response.headers["content-type"]) == (
            status,
            "application/problem+json",
        ), (method, path, response.text)
        assert response.json()["type"] == f"urn:lift:problem:{slug}", (method, path, response.text)


async def test_no_one_but_the_account_holder_links_the_account_invoices_are_charged_to(
    clinic: Any,
) -> None:
    """A stranger's account (with the mandate its owner gave the clinic for their own care)
    cannot be put on another patient's file: not at registration, not by staff, not by a
    patient who does not hold it."""
    teller = clinic.bank("tess", "teller")
    stranger = await teller.post(
        "/api/v1/accounts", json={"type": "checking", "currency": "EUR", "owner": "stranger"}
    )
    stranger_account = stranger.json()["id"]
    admin = clinic.as_("ada", "admin")
    registered = await admin.post(
        "/api/v1/patients",
        json={
            "mrn": f"MRN-{uuid.uuid4().hex[:8].upper()}",
            "name": "Mallory",
            "date_of_birth": "1990-01-01",
            "subject": "mallory",
            "bank_account_id": stranger_account,
        },
    )
    assert registered.status_code == 422  # the field no longer exists at registration
    patient = await clinic.patient(subject="mallory")
    link = f"/api/v1/patients/{patient['id']}/bank-account"
    body = {"bank_account_id": stranger_account}
    for who, role in (("ada", "admin"), ("dr-x", "clinician"), ("bill", "billing")):
        staff = await clinic.as_(who, role).put(link, json=body)
        assert staff.status_code == 403, (who, staff.text)
    by_patient = await clinic.as_("mallory", "patient").put(link, json=body)
    assert (by_patient.status_code, by_patient.json()["type"]) == (
        422,
        "urn:lift:problem:bank-account-not-found",
    )
    by_owner_of_another_file = await clinic.as_("stranger", "patient").put(link, json=body)
    assert by_owner_of_another_file.status_code == 403
    merchant = await teller.post(
        "/api/v1/accounts", json={"type": "merchant", "currency": "EUR", "owner": "healthcare"}
    )
    clinic_set = await admin.put(
        "/api/v1/clinic", json={"merchant_account_id": merchant.json()["id"], "currency": "EUR"}
    )
    assert clinic_set.status_code == 200
    doc = await clinic.provider("dr-stranger")
    encounter = await clinic.encounter(patient["id"], doc)
    invoice = await clinic.as_("bill", "billing").post(
        f"/api/v1/encounters/{encounter}/invoice", json={"amount": 100}
    )
    assert invoice.status_code == 403  # no account on file: nothing is charged
    balance = await teller.get(f"/api/v1/accounts/{stranger_account}/balance")
    assert balance.json()["balance"] == 0
