"""Consent, records, break-glass, disclosures and billing on in-memory fakes: every branch of
the use cases, no I/O. The pure HIPAA rules are in ``test_rules``; here the use cases must
feed them the right facts, account for every attempt once, and keep PHI sealed."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from services.healthcare.tests.unit.conftest import (
    ADMIN,
    BREAK_GLASS_MINUTES,
    RETRY_MIN_AGE_SECONDS,
    World,
    who,
)

from lift_core.audit import Unstaged
from lift_core.events import DomainEvent

from healthcare.domain.access import Purpose
from healthcare.domain.exceptions import (
    AccessDenied,
    BankAccountNotFound,
    ClinicNotConfigured,
    DuplicateMrn,
    DuplicateSsn,
    EncounterNotFound,
    InvoiceExists,
    InvoiceNotFound,
    InvoiceSettled,
    NotPermitted,
    PatientNotFound,
    RecordNotFound,
)
from healthcare.domain.models import Invoice, InvoiceStatus
from healthcare.service.charts import NewPatient

pytestmark = pytest.mark.unit

TREATMENT = Purpose.TREATMENT


def _chart(world: World) -> tuple[str, str, str]:
    """A patient treated by dr-house, with one note; (patient, provider, record)."""
    patient = world.patient(subject="pat")
    provider = world.provider("dr-house")
    world.encounter(patient, provider)
    record = world.clinic.charts.add_record(who("dr-house", "clinician"), patient, "note", "flu")
    return patient, provider, record.id


def _read(world: World, subject: str, role: str, record_id: str) -> str:
    _, content = world.clinic.charts.read_record(who(subject, role), record_id, TREATMENT)
    return content


# -- patients and consent -----------------------------------------------------------------


def test_phi_is_sealed_at_rest_and_the_ssn_is_found_only_through_the_blind_index(
    world: World,
) -> None:
    patient = world.patient(ssn="123-45-6789")
    stored = world.patients.get("acme", patient)
    assert "Pat 0" not in str(stored)
    assert "1 Main St" not in str(stored)
    assert "123-45-6789" not in str(world.patients.ssn_sealed)
    found = world.clinic.charts.search(ADMIN, mrn=None, ssn="123 45 6789")
    assert [hit["id"] for hit in found] == [patient]
    with pytest.raises(NotPermitted):
        world.clinic.charts.search(who("dr", "clinician"), mrn=None, ssn="123-45-6789")
    with pytest.raises(DuplicateMrn):
        world.clinic.charts.register(
            ADMIN, NewPatient(stored.mrn, "X", "1990-01-01", "", "", "", None, None)
        )


def test_a_second_patient_with_the_same_ssn_is_refused_in_its_tenant_only(world: World) -> None:
    first = world.patient(ssn="123-45-6789")
    with pytest.raises(DuplicateSsn):
        world.patient(ssn="123-45-6789")
    other_tenant = dataclasses.replace(ADMIN, tenant_id="globex")
    new = NewPatient("MRN-G1", "G", "1990-01-01", "", "", "", "123-45-6789", None)
    assert world.clinic.charts.register(other_tenant, new).id != first
    found = world.clinic.charts.search(ADMIN, mrn=None, ssn="123-45-6789")
    assert [hit["id"] for hit in found] == [first]
    world.patient()  # without an SSN, nothing is claimed
    world.patient()


def test_the_directory_pages_the_tenants_providers_for_anyone_with_a_role(world: World) -> None:
    made = sorted(world.provider(f"dr-{n}") for n in range(5))
    directory = world.clinic.directory
    first, more = directory.providers(who("pat", "patient"), limit=3)
    rest, end = directory.providers(who("ada", "admin"), limit=3, start=more)
    assert [p.id for p in first + rest] == made
    assert end is None
    theirs, _ = directory.providers(dataclasses.replace(ADMIN, tenant_id="globex"), limit=10)
    assert theirs == []
    with pytest.raises(NotPermitted):
        directory.providers(who("someone", "visitor"), limit=10)


@pytest.mark.parametrize("role", ["billing", "patient", "auditor"])
def test_only_staff_register_patients(world: World, role: str) -> None:
    with pytest.raises(NotPermitted):
        world.clinic.charts.register(
            who("x", role), NewPatient("M", "X", "1990-01-01", "", "", "", None, None)
        )


def test_withdrawn_consent_closes_the_chart_to_the_treating_provider(world: World) -> None:
    patient, _, record = _chart(world)
    assert _read(world, "dr-house", "clinician", record) == "flu"
    world.clinic.charts.set_consent(who("pat", "patient"), patient, granted=False, restricted=[])
    with pytest.raises(AccessDenied, match="consent withdrawn"):
        _read(world, "dr-house", "clinician", record)
    assert _read(world, "pat", "patient", record) == "flu"  # the patient always sees their own


def test_only_the_patient_or_an_admin_sets_consent(world: World) -> None:
    patient, _, _ = _chart(world)
    with pytest.raises(NotPermitted):
        world.clinic.charts.set_consent(
            who("dr-house", "clinician"), patient, granted=False, restricted=[]
        )
    consent = world.clinic.charts.set_consent(ADMIN, patient, granted=True, restricted=["b", "a"])
    assert consent.restricted_providers == ("a", "b")


def test_without_an_encounter_there_is_no_care_relationship(world: World) -> None:
    _, _, record = _chart(world)
    world.provider("dr-other")
    with pytest.raises(AccessDenied, match="no care relationship") as refused:
        _read(world, "dr-other", "clinician", record)
    assert "an encounter creates one" in refused.value.public_detail  # what the caller reads
    with pytest.raises(AccessDenied, match="not a registered provider"):
        _read(world, "dr-nobody", "clinician", record)
    with pytest.raises(AccessDenied):
        _read(world, "pat-2", "patient", record)  # another patient's chart


# -- records, disclosures ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "role", "allowed"),
    [
        ("dr-house", "clinician", True),
        ("pat", "patient", True),
        ("dr-other", "clinician", False),
        ("bill", "billing", False),
        ("ada", "admin", False),
        ("aud", "auditor", False),
    ],
)
def test_every_record_read_is_audited_and_disclosed_once(
    world: World, subject: str, role: str, allowed: bool
) -> None:
    patient, _, record = _chart(world)
    world.provider("dr-other")
    before = len(world.audit.events)
    if allowed:
        assert _read(world, subject, role, record) == "flu"
    else:
        with pytest.raises(AccessDenied):
            _read(world, subject, role, record)
    (event,) = world.audit.events[before:]
    assert event.action == "phi.read"
    assert event.outcome == ("success" if allowed else "denied")
    assert "flu" not in str(event)
    last = world.disclosures.of(patient)[-1]
    assert (last.accessor, last.outcome) == (subject, event.outcome)


def test_a_read_of_no_record_is_audited_without_a_disclosure(world: World) -> None:
    with pytest.raises(RecordNotFound):
        _read(world, "dr-house", "clinician", "rec_missing")
    assert world.audit.actions() == [("record.read", "denied")]
    assert world.disclosures.items == []


def test_records_are_written_by_care_roles_with_the_relationship(world: World) -> None:
    patient, _, _ = _chart(world)
    with pytest.raises(NotPermitted):
        world.clinic.charts.add_record(who("bill", "billing"), patient, "note", "x")
    world.provider("dr-other")
    with pytest.raises(AccessDenied):
        world.clinic.charts.add_record(who("dr-other", "clinician"), patient, "note", "x")
    assert world.audit.actions()[-1] == ("record.create", "denied")


def test_the_accounting_of_disclosures_is_for_the_patient_and_compliance(world: World) -> None:
    patient, _, record = _chart(world)
    _read(world, "dr-house", "clinician", record)
    page, _ = world.clinic.charts.disclosures(who("pat", "patient"), patient, limit=10, start=None)
    assert [d.accessor for d in page] == ["dr-house"]
    assert world.clinic.charts.disclosures(who("aud", "auditor"), patient, limit=10, start=None)
    with pytest.raises(NotPermitted):
        world.clinic.charts.disclosures(who("dr-house", "clinician"), patient, limit=10, start=None)


# -- break-glass ---------------------------------------------------------------------------


def test_break_glass_opens_a_chart_for_a_while_flagged_as_an_emergency(world: World) -> None:
    patient, _, record = _chart(world)
    world.provider("dr-er")
    er = who("dr-er", "clinician")
    with pytest.raises(AccessDenied):
        _read(world, "dr-er", "clinician", record)
    world.clinic.charts.break_glass(er, patient, "unconscious in the ER")
    assert _read(world, "dr-er", "clinician", record) == "flu"
    assert world.audit.events[-1].action == "phi.emergency-read"
    assert world.disclosures.of(patient)[-1].emergency
    world.clock.advance(minutes=BREAK_GLASS_MINUTES, seconds=1)
    with pytest.raises(AccessDenied):
        _read(world, "dr-er", "clinician", record)


def test_break_glass_never_overrides_a_restriction_and_is_for_clinicians(world: World) -> None:
    patient, _, record = _chart(world)
    er_id = world.provider("dr-er")
    world.clinic.charts.set_consent(
        who("pat", "patient"), patient, granted=True, restricted=[er_id]
    )
    world.clinic.charts.break_glass(who("dr-er", "clinician"), patient, "emergency")
    with pytest.raises(AccessDenied, match="restricted"):
        _read(world, "dr-er", "clinician", record)
    world.provider("nurse-n", kind="nurse")
    with pytest.raises(NotPermitted):
        world.clinic.charts.break_glass(who("nurse-n", "nurse"), patient, "emergency")
    with pytest.raises(NotPermitted):
        world.clinic.charts.break_glass(who("dr-unknown", "clinician"), patient, "emergency")


# -- bank account and billing ---------------------------------------------------------------


async def _billable(world: World, funds: int = 50_000, *, mandate: bool = True) -> str:
    """An encounter of a patient whose own account is linked; its id."""
    patient, provider, _ = _chart(world)
    world.clinic.directory.configure(ADMIN, "acc_clinic", "EUR")
    world.banking.owned.add("acc_pat")
    world.banking.balances["acc_pat"] = funds
    if mandate:
        world.banking.mandates.add("acc_pat")
    await world.clinic.charts.link_bank_account(who("pat", "patient"), patient, "acc_pat")
    world.banking.calls.clear()
    return world.encounter(patient, provider)


async def test_only_the_patient_links_an_account_banking_says_they_hold(world: World) -> None:
    patient = world.patient(subject="pat")
    world.banking.owned.add("acc_pat")
    with pytest.raises(NotPermitted):
        await world.clinic.charts.link_bank_account(ADMIN, patient, "acc_pat")
    with pytest.raises(BankAccountNotFound):
        await world.clinic.charts.link_bank_account(who("pat", "patient"), patient, "acc_other")
    await world.clinic.charts.link_bank_account(who("pat", "patient"), patient, "acc_pat")
    assert world.patients.get("acme", patient).bank_account_id == "acc_pat"


async def test_an_invoice_is_charged_once_and_paid(world: World) -> None:
    encounter = await _billable(world)
    billing = who("bill", "billing")
    invoice = await world.clinic.billing.invoice(billing, encounter, 9_900)
    assert (invoice.status, invoice.payment_id) == (InvoiceStatus.PAID, "pay_0")
    assert world.banking.balances["acc_pat"] == 50_000 - 9_900
    with pytest.raises(InvoiceExists):
        await world.clinic.billing.invoice(billing, encounter, 9_900)
    assert world.banking.calls == ["charge"]
    assert invoice == world.invoices.get("acme", invoice.id)


@pytest.mark.parametrize(
    ("setup", "reason"),
    [({"funds": 100}, "insufficient-funds"), ({"mandate": False}, "no-mandate")],
    ids=["no-funds", "no-mandate"],
)
async def test_a_refused_charge_declines_the_invoice(
    world: World, setup: dict[str, Any], reason: str
) -> None:
    encounter = await _billable(world, **setup)
    invoice = await world.clinic.billing.invoice(who("bill", "billing"), encounter, 1_000)
    assert (invoice.status, invoice.reason) == (InvoiceStatus.DECLINED, reason)
    assert world.banking.balances["acc_pat"] == setup.get("funds", 50_000)
    assert world.audit.actions()[-1] == ("invoice.declined", "success")


@pytest.mark.parametrize("mode", ["down", "lose"])
async def test_no_answer_leaves_the_invoice_pending_and_the_retry_pays_it_once(
    world: World, mode: str
) -> None:
    encounter = await _billable(world)
    world.banking.mode = mode
    invoice = await world.clinic.billing.invoice(who("bill", "billing"), encounter, 9_900)
    assert invoice.status is InvoiceStatus.PENDING
    assert (await world.clinic.billing.retry_pending()).examined == 0  # too young
    world.clock.advance(seconds=RETRY_MIN_AGE_SECONDS + 1)
    assert (await world.clinic.billing.retry_pending()).still_pending == 1
    world.banking.mode = "up"
    report = await world.clinic.billing.retry_pending()
    assert (report.settled, report.still_pending) == ({"PAID": 1}, 0)
    assert world.banking.balances["acc_pat"] == 50_000 - 9_900
    assert (await world.clinic.billing.retry_pending()).examined == 0
    retry = [e for e in world.audit.events if e.action == "invoice.paid"]
    assert [e.actor for e in retry] == ["healthcare-billing-retry"]


async def test_invoices_need_billing_a_known_encounter_and_a_configured_clinic(
    world: World,
) -> None:
    billing = who("bill", "billing")
    with pytest.raises(NotPermitted):
        await world.clinic.billing.invoice(who("dr", "clinician"), "enc_x", 100)
    with pytest.raises(EncounterNotFound):
        await world.clinic.billing.invoice(billing, "enc_missing", 100)
    patient, provider, _ = _chart(world)
    encounter = world.encounter(patient, provider)
    with pytest.raises(ClinicNotConfigured):
        await world.clinic.billing.invoice(billing, encounter, 100)
    world.clinic.directory.configure(ADMIN, "acc_clinic", "EUR")
    with pytest.raises(NotPermitted, match="no bank account"):
        await world.clinic.billing.invoice(billing, encounter, 100)


async def test_an_invoice_is_seen_by_billing_and_its_own_patient_only(world: World) -> None:
    encounter = await _billable(world)
    invoice = await world.clinic.billing.invoice(who("bill", "billing"), encounter, 100)
    assert await world.clinic.billing.get(who("pat", "patient"), invoice.id) == invoice
    with pytest.raises(InvoiceNotFound):
        await world.clinic.billing.get(who("pat-2", "patient"), invoice.id)


async def test_a_settled_invoice_is_never_settled_again(world: World) -> None:
    encounter = await _billable(world)
    paid = await world.clinic.billing.invoice(who("bill", "billing"), encounter, 100)
    with pytest.raises(InvoiceSettled):
        paid.settled(InvoiceStatus.DECLINED, at="later", payment_id=None, reason="x")
    # The retry path may hold a stale PENDING copy: storing its outcome changes nothing.
    stale = dataclasses.replace(paid, status=InvoiceStatus.PENDING)
    late = stale.settled(InvoiceStatus.DECLINED, at="later", payment_id=None, reason="x")
    assert world.invoices.settle(late, audit=Unstaged()) is False
    assert world.invoices.get("acme", paid.id) == paid
    with pytest.raises(PatientNotFound):
        world.clinic.charts.set_consent(ADMIN, "pat_missing", granted=True, restricted=[])


def _payment_message(invoice: Invoice, payment_id: str, status: str, reasons: str = "") -> str:
    """Banking's payment event as the clinic's queue receives it."""
    event = DomainEvent(
        f"payment.{status}",
        1,
        invoice.tenant_id,
        f"payment/{payment_id}",
        {"payment_id": payment_id, "status": status, "key": invoice.id, "reasons": reasons},
        source="banking",
    )
    return json.dumps({"detail": event.detail()})


async def test_a_payment_event_settles_an_invoice_whose_answer_was_lost_once(
    world: World,
) -> None:
    encounter = await _billable(world)
    world.banking.mode = "lose"
    pending = await world.clinic.billing.invoice(who("bill", "billing"), encounter, 100)
    world.banking.mode = "up"
    assert pending.status is InvoiceStatus.PENDING
    consumer = world.clinic.consumers[0]
    message = _payment_message(pending, "pay_0", "captured")
    assert await consumer.handle(message) is True
    paid = world.invoices.get("acme", pending.id)
    assert (paid.status, paid.payment_id) == (InvoiceStatus.PAID, "pay_0")
    assert await consumer.handle(message) is False  # a duplicate
    late_decline = _payment_message(pending, "pay_0", "declined", "velocity")
    await consumer.handle(late_decline)  # stale: the invoice is settled already
    assert world.invoices.get("acme", pending.id) == paid
    assert [a for a in world.audit.actions() if a[0] == "invoice.paid"] == [
        ("invoice.paid", "success")
    ]


async def test_a_declined_payment_event_declines_the_invoice_with_its_reasons(
    world: World,
) -> None:
    encounter = await _billable(world)
    world.banking.mode = "lose"
    pending = await world.clinic.billing.invoice(who("bill", "billing"), encounter, 100)
    await world.clinic.consumers[0].handle(
        _payment_message(pending, "pay_0", "declined", "velocity")
    )
    declined = world.invoices.get("acme", pending.id)
    assert (declined.status, declined.reason) == (InvoiceStatus.DECLINED, "velocity")
