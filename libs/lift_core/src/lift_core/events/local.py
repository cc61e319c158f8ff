"""The relay and the consumers inside a dev app (``LIFT_EVENTS_LOCAL``), as background jobs
polling the emulator: the same ``Relay.deliver`` and ``Consumer.handle`` that the Lambda
functions run, fed by a stream poller and queue pollers instead of event source mappings.
The bus, the queues and the rules are created first (dev/test only)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from lift_core.config import LiftSettings
from lift_core.context import run_blocking
from lift_core.dynamo import aws_client
from lift_core.events.consume import Consumer, QueuePoller
from lift_core.events.relay import EventBus, InboxCheckpoints, Relay, StreamPoller
from lift_core.events.topology import Subscription, bus_name, ensure_topology
from lift_core.faults import FaultSwitch
from lift_core.tasks import PeriodicJob
from lift_core.wiring import ServiceTables


def local_jobs(
    settings: LiftSettings,
    platform: ServiceTables,
    consumers: Iterable[Consumer],
    subscriptions: Iterable[Subscription],
    *,
    switch: FaultSwitch | None = None,
) -> list[PeriodicJob]:
    """Nothing unless ``settings.events_local``: then one relay job for the service's outbox
    (resuming after its checkpoint in the inbox table, as Lambda's mapping resumes after
    its own) and one job per consumer. While the chaos ``switch`` holds events
    (``events_paused``), no job makes a pass: events wait in the outbox and the queues."""
    outbox = platform.outbox_table
    if not settings.events_local:
        return []
    events, sqs = aws_client("events", settings), aws_client("sqs", settings)
    urls = ensure_topology(settings, events, sqs, subscriptions)
    table = aws_client("dynamodb", settings).describe_table(TableName=outbox.Meta.table_name)
    relay = StreamPoller(
        aws_client("dynamodbstreams", settings),
        table["Table"]["LatestStreamArn"],
        Relay(EventBus(events, bus_name(settings))),
        InboxCheckpoints(platform.inbox_table, outbox.Meta.table_name),
    )
    every = settings.events_poll_seconds
    jobs = [
        PeriodicJob(
            "event relay",
            every,
            _counted("relayed", lambda: run_blocking(relay.poll_once), switch),
        )
    ]
    for consumer in consumers:
        poller = QueuePoller(sqs, urls[consumer.name], consumer)
        jobs.append(
            PeriodicJob(
                f"{consumer.name} consumer", every, _counted("handled", poller.poll_once, switch)
            )
        )
    return jobs


def _counted(
    verb: str, once: Callable[[], Awaitable[int]], switch: FaultSwitch | None
) -> Callable[[], Awaitable[str | None]]:
    async def run() -> str | None:
        if switch is not None and switch.events_paused():
            return None
        n = await once()
        return f"{verb} {n}" if n else None

    return run
