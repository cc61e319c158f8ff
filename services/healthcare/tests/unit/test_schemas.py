"""What the API refuses before any use case runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from lift_core.clock import utc_now

from healthcare.api.schemas import CreatePatient

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("days_from_utc_today", "accepted"),
    [(-365, True), (0, True), (2, False), (400, False)],
)
def test_a_date_of_birth_after_today_everywhere_on_earth_is_refused(
    days_from_utc_today: int, accepted: bool
) -> None:
    born = (utc_now() + timedelta(days=days_from_utc_today)).date().isoformat()
    body = {"mrn": "MRN-0001", "name": "Pat", "date_of_birth": born}
    if accepted:
        assert CreatePatient.model_validate(body).date_of_birth.isoformat() == born
    else:
        with pytest.raises(ValidationError, match="in the future"):
            CreatePatient.model_validate(body)
