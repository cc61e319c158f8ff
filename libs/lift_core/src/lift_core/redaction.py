"""Mask secrets and personal data before anything is written to a log.

Card numbers (Luhn-valid runs of 13-19 digits), SSN-shaped values, e-mail addresses, bearer
tokens, and any value under a key that is registered as sensitive are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"

_SENSITIVE_KEYS: set[str] = {
    "authorization",
    "cookie",
    "set-cookie",
    "password",
    "secret",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "x-api-key",
    "ssn",
    "card_number",
    "pan",
    "cvv",
}

# A card number stands alone: digit runs inside hex ids (trace, request and object ids)
# are not card numbers, even when they happen to pass Luhn.
_CARD_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
_SSN = re.compile(r"(?<!\d)\d{3}[- ]\d{2}[- ]\d{4}(?!\d)")
# Every pattern here is linear in its input: a match may start only where a run begins (the
# look-behinds), and possessive runs never backtrack. A plain ``[...]+@`` tried at every
# letter of a 60 KB run of letters is quadratic (seconds on the event loop).
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s++[A-Za-z0-9._~+/=-]++")
# Cheap pre-check: a card or SSN needs at least nine digits with separators, an e-mail an @,
# a credential its scheme. Most log strings (status codes, ids) skip all regex work.
_MAYBE = re.compile(r"\d[\d -]{7,}\d|@|(?i:bearer|basic)")


def register_sensitive_fields(names: Iterable[str]) -> None:
    """Declare more field names whose values are always redacted (lower-case match)."""
    _SENSITIVE_KEYS.update(name.lower() for name in names)


def is_sensitive_key(name: str) -> bool:
    return name.lower() in _SENSITIVE_KEYS


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return "[REDACTED:PAN]"
    return match.group(0)


def redact_text(text: str) -> str:
    if not _MAYBE.search(text):
        return text
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _CARD_CANDIDATE.sub(_mask_card, text)
    text = _SSN.sub("[REDACTED:SSN]", text)
    return _EMAIL.sub("[REDACTED:EMAIL]", text)


def find_sensitive(text: str) -> list[str]:
    """The kinds of protected value present in ``text`` ("pan", "ssn", "email", "credential")."""
    found = []
    if any(_mask_card(m) != m.group(0) for m in _CARD_CANDIDATE.finditer(text)):
        found.append("pan")
    if _SSN.search(text):
        found.append("ssn")
    if _EMAIL.search(text):
        found.append("email")
    if _BEARER.search(text.replace("Bearer [REDACTED]", "")):
        found.append("credential")
    return found


def redact(value: Any, key: str | None = None) -> Any:
    """Return a copy of ``value`` with sensitive content masked, recursing into containers."""
    if key is not None and key.lower() in _SENSITIVE_KEYS:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    return value
