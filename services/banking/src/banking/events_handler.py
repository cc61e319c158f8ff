"""AWS Lambda entry of banking's events: ``banking.events_handler.relay`` carries the
outbox's stream to the stage's bus (infra/sam/banking.yaml, ``Relay``)."""

from __future__ import annotations

from lift_core.events.lambdas import relay_entry

relay = relay_entry()
