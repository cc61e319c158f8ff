"""The bus, the queues and the rules between them, named from the settings.

One EventBridge bus per stage (``<table prefix>bus``); one SQS queue per consumer
(``<table prefix><consumer>``) with a dead-letter queue (``…-dlq``) after ``max_receives``
receives, and a rule per consumer that routes the event types it handles to its queue.
On AWS the SAM templates declare all of it; ``ensure_topology`` creates it on an emulator
(dev/test only), with the same names and the same redrive policy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lift_core.config import LiftSettings
from lift_core.dynamo import TableCreationRefused


@dataclass(frozen=True, slots=True)
class Subscription:
    consumer: str  # "<service>-<what it consumes>": "ecommerce-payments"
    source: str  # the one service whose events these are: "banking"
    types: tuple[str, ...]
    max_receives: int = 5  # then the dead-letter queue
    # AWS's advice for an SQS event source: six times the function's timeout (15 s).
    visibility_timeout_seconds: int = 90


def bus_name(settings: LiftSettings) -> str:
    return f"{settings.table_prefix}bus"


def queue_name(settings: LiftSettings, consumer: str) -> str:
    return f"{settings.table_prefix}{consumer}"


def dead_letter_name(settings: LiftSettings, consumer: str) -> str:
    return f"{queue_name(settings, consumer)}-dlq"


def ensure_topology(
    settings: LiftSettings, events: Any, sqs: Any, subscriptions: Iterable[Subscription]
) -> dict[str, str]:
    """Create what is missing (idempotent); returns each consumer's queue URL."""
    if not settings.is_dev:
        raise TableCreationRefused("the bus and queues come from the templates outside dev/test")
    bus = bus_name(settings)
    if bus not in {b["Name"] for b in events.list_event_buses().get("EventBuses", [])}:
        events.create_event_bus(Name=bus)
    urls: dict[str, str] = {}
    for sub in subscriptions:
        dlq = sqs.create_queue(QueueName=dead_letter_name(settings, sub.consumer))["QueueUrl"]
        policy = {"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": str(sub.max_receives)}
        url = sqs.create_queue(
            QueueName=queue_name(settings, sub.consumer),
            Attributes={
                "VisibilityTimeout": str(sub.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(policy),
            },
        )["QueueUrl"]
        rule = queue_name(settings, sub.consumer)
        events.put_rule(
            Name=rule,
            EventBusName=bus,
            EventPattern=json.dumps(event_pattern(sub)),
        )
        events.put_targets(
            Rule=rule, EventBusName=bus, Targets=[{"Id": sub.consumer, "Arn": _arn(sqs, url)}]
        )
        urls[sub.consumer] = url
    return urls


def event_pattern(sub: Subscription) -> dict[str, list[str]]:
    """The rule's pattern: these types, from that publisher only (the relay puts events on
    the bus as ``lift.<service>``), so no other service's events reach the queue."""
    return {"source": [f"lift.{sub.source}"], "detail-type": list(sub.types)}


def _arn(sqs: Any, url: str) -> str:
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(answer["Attributes"]["QueueArn"])


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    visible: int
    in_flight: int
    oldest_age_seconds: float | None  # of a visible message, when one can be seen
    dead_letters: int


def queue_stats(settings: LiftSettings, sqs: Any, consumer: str) -> QueueStats:
    """Depth, messages being handled, age of the oldest visible message (peeked: SQS's own
    ``ApproximateAgeOfOldestMessage`` is a CloudWatch metric, not a queue attribute) and
    the dead-letter queue's depth."""
    url = sqs.get_queue_url(QueueName=queue_name(settings, consumer))["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=dead_letter_name(settings, consumer))["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    dead = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"
    ]
    oldest = None
    peek = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["SentTimestamp"]
    )
    sent = [int(m["Attributes"]["SentTimestamp"]) for m in peek.get("Messages", [])]
    if sent:
        oldest = max(0.0, time.time() - min(sent) / 1000)
    return QueueStats(
        queue=queue_name(settings, consumer),
        visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
        oldest_age_seconds=oldest,
        dead_letters=int(dead.get("ApproximateNumberOfMessages", 0)),
    )


def redrive(settings: LiftSettings, sqs: Any, consumer: str) -> int:
    """Move every dead letter of ``consumer`` back to its queue; returns how many moved. Each
    is sent again before it is deleted, so a crash in between duplicates, never loses, it
    (the consumer's inbox absorbs the duplicate)."""
    url = sqs.get_queue_url(QueueName=queue_name(settings, consumer))["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=dead_letter_name(settings, consumer))["QueueUrl"]
    moved = 0
    while True:
        batch = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return moved
        for message in batch:
            sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
