"""One rule for free text in every service: bounded, and never a card number or an SSN.

A free-text field (a transfer's reference, a refund's reason, a clinical note, an address)
is stored and often shown again; a card number or a social security number pasted into it
would sit there in clear, outside every control built for those values. ``NoSensitiveData`` refuses
them at the edge with the same answer everywhere: 422 ``sensitive-data``, naming the field
and never echoing its value. Placed after the field's length bound, the scan is linear over at
most ``max_length`` characters.
"""

from __future__ import annotations

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from lift_core.redaction import find_sensitive

SENSITIVE_DATA_ERROR = "sensitive_data"
_REFUSED = frozenset({"pan", "ssn"})


def refuse_sensitive(value: str) -> str:
    """``value`` unchanged, or a validation error when it holds a card number or an SSN."""
    if _REFUSED.intersection(find_sensitive(value)):
        raise PydanticCustomError(
            SENSITIVE_DATA_ERROR,
            "free text must not hold a card number or a social security number",
        )
    return value


# Put it after the length bound: ``Annotated[str, Field(max_length=140), NoSensitiveData]``.
NoSensitiveData = AfterValidator(refuse_sensitive)
