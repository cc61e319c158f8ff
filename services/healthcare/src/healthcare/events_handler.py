"""AWS Lambda entries of healthcare's events (infra/sam/healthcare.yaml): ``payments``
consumes the healthcare-payments queue. Healthcare publishes no event yet: no relay."""

from __future__ import annotations

from lift_core.events.lambdas import consumer_entry

from healthcare.bootstrap import PAYMENTS, bootstrap

payments = consumer_entry(
    lambda: next(c for c in bootstrap().consumers if c.name == PAYMENTS.consumer)
)
