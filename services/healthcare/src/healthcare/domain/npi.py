"""National Provider Identifier: 10 digits, the last a Luhn check digit computed over the
card-issuer prefix 80840 followed by the first nine digits (CMS NPI standard)."""

from __future__ import annotations

from healthcare.domain.exceptions import InvalidNpi


def _luhn_sum(digits: str) -> int:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


def check_npi(npi: str) -> str:
    if len(npi) != 10 or not npi.isdigit():
        raise InvalidNpi("an NPI is 10 digits")
    if _luhn_sum("80840" + npi) % 10 != 0:
        raise InvalidNpi("the NPI's check digit does not match")
    return npi
