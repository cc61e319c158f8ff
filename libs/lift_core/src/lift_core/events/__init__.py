"""Events between services: a transactional outbox, a relay to the bus, idempotent
consumers with dead letters. ``docs/events.md`` tells the flow and the guarantees."""

from lift_core.events.consume import (
    Consumer,
    Handler,
    Inbox,
    InboxPort,
    InboxRecord,
    InMemoryInbox,
    QueuePoller,
    UntrustedEvent,
    lambda_handler,
)
from lift_core.events.event import DomainEvent, UnsafePayload, is_safe
from lift_core.events.outbox import (
    InMemoryOutbox,
    Outbox,
    OutboxPort,
    OutboxRecord,
    StagedEvent,
)
from lift_core.events.relay import EventBus, InboxCheckpoints, Relay, StreamPoller
from lift_core.events.topology import (
    QueueStats,
    Subscription,
    bus_name,
    ensure_topology,
    queue_name,
    queue_stats,
    redrive,
)

__all__ = [
    "Consumer",
    "DomainEvent",
    "EventBus",
    "Handler",
    "InMemoryInbox",
    "InMemoryOutbox",
    "Inbox",
    "InboxCheckpoints",
    "InboxPort",
    "InboxRecord",
    "Outbox",
    "OutboxPort",
    "OutboxRecord",
    "QueuePoller",
    "QueueStats",
    "Relay",
    "StagedEvent",
    "StreamPoller",
    "Subscription",
    "UnsafePayload",
    "UntrustedEvent",
    "bus_name",
    "ensure_topology",
    "is_safe",
    "lambda_handler",
    "queue_name",
    "queue_stats",
    "redrive",
]
