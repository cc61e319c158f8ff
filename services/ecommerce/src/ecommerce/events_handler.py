"""AWS Lambda entries of e-commerce's events (infra/sam/ecommerce.yaml): ``relay`` carries
the outbox's stream to the stage's bus; ``payments`` consumes the ecommerce-payments queue."""

from __future__ import annotations

from lift_core.events.lambdas import consumer_entry, relay_entry

from ecommerce.bootstrap import PAYMENTS, bootstrap

relay = relay_entry()
payments = consumer_entry(
    lambda: next(c for c in bootstrap().consumers if c.name == PAYMENTS.consumer)
)
