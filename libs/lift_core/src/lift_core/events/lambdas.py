"""The Lambda entries of the event flow, built on their first invocation from the function's
environment (the same ``LIFT_*`` settings as the HTTP function):

- ``relay_entry()``: the outbox table's DynamoDB stream (event source mapping with
  ``ReportBatchItemFailures``) to the stage's bus;
- ``consumer_entry(make)``: one consumer queue (SQS event source mapping with
  ``ReportBatchItemFailures``), ``make`` building the service's consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lift_core.config import LiftSettings
from lift_core.dynamo import LazyAwsClient
from lift_core.events.consume import Consumer, lambda_handler
from lift_core.events.relay import EventBus, Relay
from lift_core.events.topology import bus_name

Entry = Callable[[dict[str, Any], Any], dict[str, Any]]


def relay_entry(settings: Callable[[], LiftSettings] = LiftSettings) -> Entry:
    relay: list[Relay] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not relay:
            s = settings()
            relay.append(Relay(EventBus(LazyAwsClient("events", s), bus_name(s))))
        return relay[0].handler(event, context)

    return handler


def consumer_entry(make: Callable[[], Consumer]) -> Entry:
    built: list[Entry] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not built:
            built.append(lambda_handler(make()))
        return built[0](event, context)

    return handler
