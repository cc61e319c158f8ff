"""The HIPAA decision functions and the NPI check digit, without I/O."""

from __future__ import annotations

import pytest

from healthcare.domain.access import Facts, Purpose, Role, decide_demographics, decide_record
from healthcare.domain.exceptions import InvalidNpi
from healthcare.domain.npi import check_npi

pytestmark = pytest.mark.unit


def facts(role: Role, purpose: Purpose = Purpose.TREATMENT, **kw: bool) -> Facts:
    base = {
        "own_chart": False,
        "relationship": True,
        "consent": True,
        "restricted": False,
        "break_glass": False,
    }
    return Facts(role=role, purpose=purpose, **(base | kw))


def test_break_glass_stands_in_for_relationship_and_consent_but_not_a_restriction() -> None:
    f = facts(Role.CLINICIAN, relationship=False, consent=False, break_glass=True)
    decision = decide_record(f)
    assert decision.allowed
    assert decision.emergency
    restricted = facts(Role.CLINICIAN, restricted=True, break_glass=True)
    assert not decide_record(restricted).allowed


def test_billing_sees_the_profile_for_payment_but_never_clinical_content() -> None:
    assert decide_demographics(facts(Role.BILLING, Purpose.PAYMENT)).allowed
    assert not decide_demographics(facts(Role.BILLING, Purpose.TREATMENT)).allowed
    assert not decide_record(facts(Role.BILLING, Purpose.PAYMENT)).allowed


def test_auditors_see_no_phi() -> None:
    for purpose in Purpose:
        assert not decide_demographics(facts(Role.AUDITOR, purpose)).allowed
        assert not decide_record(facts(Role.AUDITOR, purpose)).allowed


@pytest.mark.parametrize("npi", ["1234567893", "1245319599"])
def test_valid_npis_pass(npi: str) -> None:
    assert check_npi(npi) == npi


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678931", "12345x7893"])
def test_invalid_npis_are_refused(npi: str) -> None:
    with pytest.raises(InvalidNpi):
        check_npi(npi)
