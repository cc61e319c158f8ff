"""What healthcare knows of a payment taken through banking (its view of the provider)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    status: str  # captured or declined (later refunds do not concern billing)
    reasons: tuple[str, ...] = ()

    @property
    def captured(self) -> bool:
        return self.status != "declined"


@dataclass(frozen=True, slots=True)
class Charge:
    """One keyed payment asked of banking: asked again with the same key, it lands once."""

    tenant: str
    key: str
    payer_account_id: str
    merchant_account_id: str
    amount: int
    currency: str
    reference: str


class PaymentRefused(Exception):
    """Banking answered and will not take this payment (no mandate, no funds...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PaymentUnknown(Exception):
    """Banking did not answer: the outcome is unknown until the charge is asked again."""
