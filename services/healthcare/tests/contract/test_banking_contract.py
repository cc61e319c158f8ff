"""What healthcare needs of banking's payment API, recorded as a pact (see tests/contracts.py).

Billing charges a patient's account under the mandate the patient granted the clinic; a
charge banking refuses (no mandate) must come back as a refusal, not as "unknown".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pact import Pact, match
from tests.contracts import ExampleTokens, record

from lift_mesh import MeshSettings, ServiceClient

from healthcare.adapters.banking import BankingPayments
from healthcare.domain.payments import Charge, PaymentRefused

pytestmark = pytest.mark.integration

BEARER = match.regex("Bearer token", regex=r"^Bearer \S+$")


def invoice_charge(payer: str, key: str) -> dict[str, object]:
    return {
        "payer_account_id": payer,
        "merchant_account_id": "acc_clinic",
        "amount": 12_000,
        "currency": "EUR",
        "reference": f"invoice {key}",
    }


@pytest.fixture
def pact() -> Pact:
    pact = Pact("healthcare", "banking").with_specification("V4")
    (
        pact.upon_receiving("an invoice charged under the patient's mandate")
        .given(
            "a funded payer under a mandate",
            payer="acc_patient",
            merchant="acc_clinic",
            balance=50_000,
        )
        .with_request("POST", "/api/v1/payments")
        .with_header("Authorization", BEARER)
        .with_header("Idempotency-Key", "invoice:i-1")
        .with_body(invoice_charge("acc_patient", "i-1"), content_type="application/json")
        .will_respond_with(201)
        .with_body(
            {"id": match.str("pay_1"), "status": "captured", "amount": 12_000},
            content_type="application/json",
        )
    )
    (
        pact.upon_receiving("an invoice charged without a mandate")
        .given("a funded payer without a mandate", payer="acc_stranger", merchant="acc_clinic")
        .with_request("POST", "/api/v1/payments")
        .with_header("Authorization", BEARER)
        .with_header("Idempotency-Key", "invoice:i-2")
        .with_body(invoice_charge("acc_stranger", "i-2"), content_type="application/json")
        .will_respond_with(403)
        .with_body(
            {"type": match.regex("urn:lift:problem:not-permitted", regex=r".*:not-permitted$")},
            content_type="application/problem+json",
        )
    )
    return pact


async def test_healthcare_records_what_it_needs_of_banking(pact: Pact, tmp_path: Path) -> None:
    with pact.serve(raises=True) as server:
        client = ServiceClient(
            "banking",
            settings=MeshSettings(services={"banking": [str(server.url)]}, max_attempts=1),
        )
        payments = BankingPayments(client, ExampleTokens())
        paid = await payments.charge(
            Charge("acme", "invoice:i-1", "acc_patient", "acc_clinic", 12_000, "EUR", "invoice i-1")
        )
        assert (paid.captured, paid.status) == (True, "captured")
        with pytest.raises(PaymentRefused) as refused:
            await payments.charge(
                Charge(
                    "acme",
                    "invoice:i-2",
                    "acc_stranger",
                    "acc_clinic",
                    12_000,
                    "EUR",
                    "invoice i-2",
                )
            )
        assert refused.value.reason == "not-permitted"
        await client.aclose()
    record(pact, tmp_path)
