"""Raw card numbers are refused anywhere in a payment; only tokens are accepted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lift_core.redaction import find_sensitive


def contains_card_number(value: Any) -> bool:
    """True if any string anywhere in ``value`` holds a Luhn-valid 13-19 digit number."""
    if isinstance(value, str):
        return "pan" in find_sensitive(value)
    if isinstance(value, Mapping):
        return any(contains_card_number(v) for v in value.values())
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return any(contains_card_number(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return contains_card_number(str(value))
    return False
