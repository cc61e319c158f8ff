"""Outbox, relay, bus, queues and consumers on the emulator (DynamoDB Streams, EventBridge
and SQS as moto serves them): nothing lost, every effect once, poison to the DLQ."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from lift_core import LiftSettings
from lift_core.audit import Staged
from lift_core.dynamo import aws_client, bind_model, ensure_tables, transaction_connection
from lift_core.events import (
    Consumer,
    DomainEvent,
    EventBus,
    Inbox,
    InboxCheckpoints,
    InboxRecord,
    Outbox,
    OutboxRecord,
    QueuePoller,
    Relay,
    StreamPoller,
    Subscription,
    bus_name,
    ensure_topology,
    lambda_handler,
    queue_stats,
    redrive,
)

pytestmark = pytest.mark.integration

THINGS = Subscription(
    "test-things", "test", ("thing.happened",), max_receives=2, visibility_timeout_seconds=0
)


class Tally(Model):
    """A consumer's state: how many times each aggregate's effect was applied."""

    class Meta:
        table_name = "tally"

    key = UnicodeAttribute(hash_key=True)
    applied = NumberAttribute(default=0)


@dataclass
class World:
    settings: LiftSettings
    outbox: Outbox
    tally: type[Tally]
    inbox: Inbox
    relay: Relay
    stream_arn: str
    sqs: Any
    queue_url: str

    def connection(self) -> Connection:
        return transaction_connection(self.tally)

    def publish(self, n: int, aggregate: str = "thing/1") -> list[DomainEvent]:
        """``n`` events, each in its own transaction with a state change of the producer."""
        staged = []
        for i in range(n):
            event = self.outbox.stage(DomainEvent("thing.happened", 1, "acme", aggregate, {"n": i}))
            with TransactWrite(connection=self.connection()) as tx:
                tx.update(self.tally(f"producer/{aggregate}"), actions=[Tally.applied.add(1)])
                event.add_to(tx)
            staged.append(event.event)
        return staged

    def consumer(self, fail: set[int] | None = None) -> Consumer:
        async def count(event: DomainEvent, claim: Staged) -> bool:
            if fail is not None and int(event.payload["n"] or 0) in fail:
                raise RuntimeError("poison")
            with TransactWrite(connection=self.connection()) as tx:
                tx.update(self.tally(f"effect/{event.aggregate}"), actions=[Tally.applied.add(1)])
                claim.add_to(tx)
            return True

        return Consumer(THINGS, {"thing.happened": count}, self.inbox)

    def effects(self, aggregate: str = "thing/1") -> int:
        try:
            return int(self.tally.get(f"effect/{aggregate}", consistent_read=True).applied)
        except self.tally.DoesNotExist:
            return 0


@pytest.fixture
def world(db_settings: LiftSettings) -> World:
    outbox_model = bind_model(OutboxRecord, db_settings, "test-outbox")
    tally = bind_model(Tally, db_settings, "test-tally")
    inbox_model = bind_model(InboxRecord, db_settings, "test-inbox")
    ensure_tables([outbox_model, tally, inbox_model], db_settings)
    events, sqs = aws_client("events", db_settings), aws_client("sqs", db_settings)
    urls = ensure_topology(
        db_settings,
        events,
        sqs,
        [THINGS],
    )
    dynamodb = aws_client("dynamodb", db_settings)
    arn = dynamodb.describe_table(TableName=outbox_model.Meta.table_name)["Table"][
        "LatestStreamArn"
    ]
    return World(
        db_settings,
        Outbox(outbox_model, service="test"),
        tally,
        Inbox(inbox_model),
        Relay(EventBus(events, bus_name(db_settings))),
        arn,
        sqs,
        urls["test-things"],
    )


def _poller(world: World) -> StreamPoller:
    return StreamPoller(
        aws_client("dynamodbstreams", world.settings), world.stream_arn, world.relay
    )


async def _drain(world: World, consumer: Consumer, rounds: int = 5) -> None:
    poller = QueuePoller(world.sqs, world.queue_url, consumer)
    for _ in range(rounds):
        await poller.poll_once()


async def test_an_event_is_written_only_with_its_state_change(world: World) -> None:
    event = world.outbox.stage(DomainEvent("thing.happened", 1, "acme", "thing/1", {"n": 0}))

    def refused_change() -> None:
        with TransactWrite(connection=world.connection()) as tx:
            tx.save(world.tally("producer/x", applied=1), condition=Tally.key.exists())
            event.add_to(tx)

    with pytest.raises(TransactWriteError):
        refused_change()
    assert _poller(world).poll_once() == 0  # the refused change published nothing
    world.publish(2)
    assert _poller(world).poll_once() == 2


async def test_a_relay_restarted_over_its_backlog_delivers_every_event_once_in_effect(
    world: World,
) -> None:
    world.publish(3)  # the relay is down: the events wait in the outbox's stream
    assert _poller(world).poll_once() == 3
    world.publish(2)
    assert _poller(world).poll_once() == 5  # restarted from the stream's start: all again
    await _drain(world, world.consumer())
    assert world.effects() == 5  # duplicates absorbed by the inbox: each effect once
    assert queue_stats(world.settings, world.sqs, "test-things").visible == 0


async def test_events_delivered_twice_and_out_of_order_take_effect_once_each(world: World) -> None:
    consumer = world.consumer()
    events = world.publish(4, aggregate="thing/2")
    bodies = [json.dumps({"detail": e.detail()}) for e in events]
    ran = [await consumer.handle(b) for b in [*reversed(bodies), *bodies]]
    assert ran == [True] * 4 + [False] * 4
    assert world.effects("thing/2") == 4


async def test_a_poison_event_goes_to_the_dead_letter_queue_and_redrive_takes_it_once(
    world: World,
) -> None:
    world.publish(3)
    _poller(world).poll_once()
    await _drain(world, world.consumer(fail={1}))  # max_receives=2: twice, then the DLQ
    stats = queue_stats(world.settings, world.sqs, "test-things")
    assert (stats.visible, stats.dead_letters, world.effects()) == (0, 1, 2)  # others went by
    assert redrive(world.settings, world.sqs, "test-things") == 1
    await _drain(world, world.consumer())  # fixed
    assert world.effects() == 3
    assert queue_stats(world.settings, world.sqs, "test-things").dead_letters == 0


def test_the_lambda_relay_reports_the_first_record_the_bus_refused(world: World) -> None:
    world.publish(2)
    records = aws_client("dynamodbstreams", world.settings)
    shard = records.describe_stream(StreamArn=world.stream_arn)["StreamDescription"]["Shards"][0]
    iterator = records.get_shard_iterator(
        StreamArn=world.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    batch = records.get_records(ShardIterator=iterator)["Records"]
    assert world.relay.handler({"Records": batch}) == {"batchItemFailures": []}

    class Refusing(EventBus):
        def put(self, details: Any) -> int:
            return 0

    refused = Relay(Refusing(None, "bus")).handler({"Records": batch})
    first = batch[0]["dynamodb"]["SequenceNumber"]
    assert refused == {"batchItemFailures": [{"itemIdentifier": first}]}


async def test_the_lambda_consumer_reports_only_the_messages_that_failed(world: World) -> None:
    events = world.publish(2)
    handler = lambda_handler(world.consumer(fail={1}))
    sqs_event = {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": "r",
                "body": json.dumps({"detail": e.detail()}),
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q",
                "awsRegion": "us-east-1",
                "md5OfBody": "",
            }
            for i, e in enumerate(events)
        ]
    }
    answer = await asyncio.to_thread(handler, sqs_event, None)  # Powertools runs its own loop
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert world.effects() == 1


async def test_a_relay_restarted_with_its_checkpoint_sends_only_what_it_had_not(
    world: World,
) -> None:
    checkpoints = InboxCheckpoints(world.inbox.model, "test-outbox")

    def restarted() -> StreamPoller:
        streams = aws_client("dynamodbstreams", world.settings)
        return StreamPoller(streams, world.stream_arn, world.relay, checkpoints)

    world.publish(3)
    assert restarted().poll_once() == 3
    world.publish(2)
    assert restarted().poll_once() == 2  # after its checkpoint, not from the stream's start
    assert restarted().poll_once() == 0
    await _drain(world, world.consumer())
    assert world.effects() == 5
