"""AWS Lambda entries of banking's events (infra/sam/banking.yaml): ``relay`` carries the
outbox's stream to the stage's bus (``Relay``); ``orders`` consumes the banking-orders
queue (e-commerce's order events, reconciled with their payments)."""

from __future__ import annotations

from lift_core.events.lambdas import consumer_entry, relay_entry

from banking.bootstrap import ORDERS, bootstrap

relay = relay_entry()
orders = consumer_entry(lambda: next(c for c in bootstrap().consumers if c.name == ORDERS.consumer))
