"""Blind index: HMAC-SHA256 of a normalised value under a key separate from the data keys.

Lets a service find a record by exact SSN or e-mail without storing or decrypting them.
The tenant and field are part of the message, so equal values in different tenants or
fields do not share an index.
"""

from __future__ import annotations

import hashlib
import hmac


class BlindIndex:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the blind index key must be at least 32 bytes")
        self._key = key

    def compute(self, tenant: str, field: str, value: str) -> str:
        normalised = "".join(value.split()).replace("-", "").lower()
        message = f"{tenant}\x00{field}\x00{normalised}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
