"""Masking helpers; a service chooses one per field and role when it shapes a response."""

from __future__ import annotations


def mask_last_four(value: str) -> str:
    """``4111111111111111`` → ``************1111``."""
    keep = value[-4:] if len(value) > 4 else ""
    return "*" * (len(value) - len(keep)) + keep


def mask_email(value: str) -> str:
    """``jane.doe@example.com`` → ``j*******@example.com``."""
    local, at, domain = value.partition("@")
    if not at:
        return mask_full(value)
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"


def mask_full(value: str) -> str:
    return "*" * 8
