"""A rule-based fraud score from 0 to 1; at or above the threshold a payment is declined."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PaymentMethod(StrEnum):
    ACCOUNT = "account"  # debit of a bank account in this bank
    CARD = "card"  # a card token


@dataclass(frozen=True, slots=True)
class FraudRules:
    high_amount: int = 500_000  # minor units
    very_high_amount: int = 2_000_000
    velocity_window_seconds: int = 600
    velocity_limit: int = 5
    threshold: float = 0.7


@dataclass(frozen=True, slots=True)
class FraudAssessment:
    score: float
    reasons: tuple[str, ...]
    declined: bool


def assess(
    *,
    amount: int,
    method: PaymentMethod,
    recent_payments: int,
    paid_payee_before: bool,
    rules: FraudRules,
) -> FraudAssessment:
    score = 0.0
    reasons = []
    if amount >= rules.very_high_amount:
        score += 0.6
        reasons.append("very_high_amount")
    elif amount >= rules.high_amount:
        score += 0.3
        reasons.append("high_amount")
    if recent_payments >= rules.velocity_limit:
        score += 0.4
        reasons.append("velocity")
    if not paid_payee_before:
        score += 0.1
        reasons.append("first_payment_to_payee")
    if method is PaymentMethod.CARD:
        score += 0.1
        reasons.append("card_not_present")
    score = round(min(score, 1.0), 2)
    return FraudAssessment(score, tuple(reasons), score >= rules.threshold)
