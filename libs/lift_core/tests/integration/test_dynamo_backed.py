"""DynamoDB-backed idempotency, rate limits, table creation and readiness, on the emulator."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TableDoesNotExist, TransactWriteError
from pynamodb.models import Model

from lift_core import LiftSettings
from lift_core.config import Environment
from lift_core.dynamo import (
    AWS_SERVICES,
    LazyAwsClient,
    TableCreationRefused,
    aws_client,
    bind_model,
    ensure_tables,
    find_item,
    get_items,
    table_check,
    transaction_connection,
    update_within,
)
from lift_core.idempotency import (
    Begun,
    InProgress,
    Mismatch,
    Replay,
    StoredResponse,
)
from lift_core.idempotency.dynamo import DynamoIdempotencyStore, IdempotencyRecord
from lift_core.ratelimit.dynamo import DynamoRateLimiter, RateLimitCounter

pytestmark = pytest.mark.integration
Mint = Callable[..., str]


@pytest.fixture
def idempotency_model(db_settings: LiftSettings) -> type[IdempotencyRecord]:
    model = bind_model(IdempotencyRecord, db_settings, "idempotency")
    ensure_tables([model], db_settings)
    return model


async def test_concurrent_claims_of_one_key_let_exactly_one_through(
    idempotency_model: type[IdempotencyRecord],
) -> None:
    store = DynamoIdempotencyStore(idempotency_model)
    outcomes = await asyncio.gather(*(store.begin("acme|POST /x|k", "fp", 30) for _ in range(20)))
    assert sum(isinstance(o, Begun) for o in outcomes) == 1
    assert all(isinstance(o, Begun | InProgress) for o in outcomes)


async def test_completed_key_replays_and_rejects_another_payload(
    idempotency_model: type[IdempotencyRecord],
) -> None:
    store = DynamoIdempotencyStore(idempotency_model)
    assert isinstance(await store.begin("k", "fp", 30), Begun)
    stored = StoredResponse(201, [("content-type", "application/json")], b'{"id":"t1"}')
    await store.complete("k", "fp", stored)
    assert await store.begin("k", "fp", 30) == Replay(stored)
    assert isinstance(await store.begin("k", "other", 30), Mismatch)


async def test_released_or_abandoned_keys_can_be_claimed_again(
    idempotency_model: type[IdempotencyRecord],
) -> None:
    store = DynamoIdempotencyStore(idempotency_model)
    assert isinstance(await store.begin("r", "fp", 30), Begun)
    await store.release("r")
    assert isinstance(await store.begin("r", "fp", 30), Begun)
    # A crashed worker's lock expires; the same payload may then take the key over.
    assert isinstance(await store.begin("a", "fp", -1), Begun)
    assert isinstance(await store.begin("a", "fp", 30), Begun)
    assert isinstance(await store.begin("a", "other", 30), Mismatch)


async def test_rate_limit_window_is_shared_by_every_instance(db_settings: LiftSettings) -> None:
    model = bind_model(RateLimitCounter, db_settings, "ratelimit")
    ensure_tables([model], db_settings)
    frozen = 1_800_000_030.0  # mid-window: the test cannot straddle a window boundary
    instances = [
        DynamoRateLimiter(model, limit=5, window_seconds=60, clock=lambda: frozen) for _ in range(3)
    ]
    decisions = await asyncio.gather(*(instances[i % 3].hit("acme") for i in range(12)))
    assert sum(d.allowed for d in decisions) == 5
    assert (await instances[0].hit("globex")).allowed


def test_ensure_tables_is_idempotent_and_refused_outside_dev(db_settings: LiftSettings) -> None:
    model = bind_model(IdempotencyRecord, db_settings, "again")
    ensure_tables([model], db_settings)
    ensure_tables([model], db_settings)
    assert model.exists()
    ttl = model._get_connection().connection._make_api_call(  # the TTL really is on
        "DescribeTimeToLive", {"TableName": model.Meta.table_name}
    )
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    prod = LiftSettings(
        environment=Environment.PROD,
        jwt_issuer="https://id.example.com",
        jwks_url="https://id.example.com/jwks",
        blind_index_key=SecretStr("cHJvZHVjdGlvbi1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMhIQ=="),
    )
    with pytest.raises(TableCreationRefused):
        ensure_tables([model], prod)


def test_every_bound_model_shares_one_botocore_client_and_works_from_any_thread(
    db_settings: LiftSettings,
) -> None:
    first = bind_model(IdempotencyRecord, db_settings, "shared-one")
    second = bind_model(RateLimitCounter, db_settings, "shared-two")
    connections = [m._get_connection().connection for m in (first, second)]
    assert connections[0].session is connections[1].session
    assert connections[0].client is connections[1].client
    elsewhere = db_settings.model_copy(update={"aws_region": "eu-west-1"})
    other_region = bind_model(IdempotencyRecord, elsewhere, "shared-three")
    assert other_region._get_connection().connection.client is not connections[0].client
    assert other_region._get_connection().connection.client.meta.region_name == "eu-west-1"
    ensure_tables([first, second], db_settings)
    # A thread that never touched the models uses the clients made when they were bound.
    seen: list[Any] = []
    worker = threading.Thread(
        target=lambda: seen.extend([first.exists(), [c.client for c in connections]])
    )
    worker.start()
    worker.join()
    assert seen[0] is True
    assert seen[1] == [c.client for c in connections]


def test_aws_clients_come_from_the_tables_session_and_only_for_declared_services(
    db_settings: LiftSettings,
) -> None:
    table = bind_model(IdempotencyRecord, db_settings, "declared")
    kms = aws_client("kms", db_settings)
    assert kms.meta.service_model.service_name == "kms"
    # One session: both clients read botocore's models through the same loader.
    clients: list[Any] = [kms, table._get_connection().connection.client]
    loaders = [c._loader for c in clients]
    assert loaders[0] is loaders[1]
    assert "s3" not in AWS_SERVICES
    # The Lambda zip carries botocore models of AWS_SERVICES only; refuse before deploying.
    with pytest.raises(ValueError, match="AWS_SERVICES"):
        aws_client("s3", db_settings)
    with pytest.raises(ValueError, match="AWS_SERVICES"):
        LazyAwsClient("s3", db_settings)


def test_a_lazy_aws_client_is_made_by_its_first_use_and_only_once(
    db_settings: LiftSettings,
) -> None:
    lazy = LazyAwsClient("kms", db_settings)
    assert lazy._client is None  # nothing loaded at start
    key = lazy.create_key()["KeyMetadata"]["KeyId"]
    made = lazy._client
    assert made is not None
    assert made.meta.service_model.service_name == "kms"
    assert lazy.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key
    assert lazy._client is made


async def test_table_readiness_check_passes_and_fails(db_settings: LiftSettings) -> None:
    present = bind_model(IdempotencyRecord, db_settings, "present")
    ensure_tables([present], db_settings)
    await table_check([present])
    missing = bind_model(IdempotencyRecord, db_settings, "missing")
    with pytest.raises(TableDoesNotExist):
        await table_check([missing])


async def test_full_stack_app_applies_a_keyed_post_once_across_instances(
    make_app: Any, idempotency_model: type[IdempotencyRecord], mint: Mint, probe: Any
) -> None:
    """Two app instances (two processes in production) share one idempotency table."""
    store = DynamoIdempotencyStore(idempotency_model)
    apps = [make_app(store=store), make_app(store=store)]
    headers = {"Authorization": f"Bearer {mint()}", "Idempotency-Key": "pay-1"}
    responses = []
    for app in apps:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            responses.append(
                await c.post(
                    "/api/v1/payments", json={"amount": 7, "currency": "EUR"}, headers=headers
                )
            )
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert responses[1].headers["idempotent-replayed"] == "true"
    assert probe.executions == 1


async def test_rate_limit_backend_setting_builds_a_shared_dynamodb_limiter(
    make_app: Any, db_settings: LiftSettings, mint: Mint
) -> None:
    overrides = {
        "rate_limit_backend": "dynamodb",
        "rate_limit_requests": 2,
        # Built from settings with the wall clock: a day-long window keeps the three
        # requests (milliseconds apart) inside one window except within a millisecond of
        # midnight UTC.
        "rate_limit_window_seconds": 86_400,
        "dynamodb_endpoint": db_settings.dynamodb_endpoint,
        "table_prefix": db_settings.table_prefix,
        "auto_create_tables": True,
    }
    apps = [make_app(settings_overrides=overrides) for _ in range(2)]
    statuses = []
    for app in (*apps, apps[0]):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            response = await c.get("/api/v1/whoami", headers={"Authorization": f"Bearer {mint()}"})
            statuses.append(response.status_code)
    assert statuses == [200, 200, 429]


async def test_dynamodb_calls_are_traced_as_client_spans_of_the_request(
    make_app: Any, idempotency_model: type[IdempotencyRecord], mint: Mint, spans: Any
) -> None:
    app = make_app(store=DynamoIdempotencyStore(idempotency_model))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        await c.post(
            "/api/v1/payments",
            json={"amount": 1, "currency": "EUR"},
            headers={"Authorization": f"Bearer {mint()}", "Idempotency-Key": "traced"},
        )
    finished = spans.get_finished_spans()
    [server] = [s for s in finished if s.kind == SpanKind.SERVER]
    dynamo = [s for s in finished if s.kind == SpanKind.CLIENT and s.name.startswith("DynamoDB")]
    assert {s.name for s in dynamo} >= {"DynamoDB.PutItem"}
    assert all(s.context.trace_id == server.context.trace_id for s in dynamo)


class Pair(Model):
    class Meta:
        table_name = "pairs"

    owner = UnicodeAttribute(hash_key=True)
    n = NumberAttribute(range_key=True)
    label = UnicodeAttribute()


class Single(Model):
    class Meta:
        table_name = "singles"

    name = UnicodeAttribute(hash_key=True)


def test_get_items_reads_several_tables_in_one_batch_in_the_order_asked(
    db_settings: LiftSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pairs = bind_model(Pair, db_settings, "batch-lab-pairs")
    singles = bind_model(Single, db_settings, "batch-lab-singles")
    ensure_tables([pairs, singles], db_settings)
    pairs("a", 1, label="one").save()
    pairs("a", 2, label="two").save()
    singles("s").save()
    connection = pairs._get_connection().connection
    calls: list[str] = []
    dispatch = connection.dispatch

    def counted(op: str, kwargs: dict[str, Any]) -> Any:
        calls.append(op)
        return dispatch(op, kwargs)

    monkeypatch.setattr(connection, "dispatch", counted)
    got = get_items(
        [(pairs, "a", 2), (singles, "s", None), (pairs, "a", 3), (pairs, "a", 1), (pairs, "a", 2)]
    )
    assert calls == ["BatchGetItem"]
    assert [getattr(g, "label", getattr(g, "name", None)) if g else None for g in got] == [
        "two",
        "s",
        None,
        "one",
        "two",
    ]
    assert isinstance(got[1], singles)
    with pytest.raises(ValueError, match="100"):
        get_items([(singles, str(i), None) for i in range(101)])


@pytest.mark.parametrize("consistent", [True, False])
def test_find_item_is_one_get_with_the_consistency_asked_and_none_for_no_item(
    db_settings: LiftSettings, monkeypatch: pytest.MonkeyPatch, consistent: bool
) -> None:
    pairs = bind_model(Pair, db_settings, "find-lab-pairs")
    singles = bind_model(Single, db_settings, "find-lab-singles")
    ensure_tables([pairs, singles], db_settings)
    pairs("a", 1, label="one").save()
    singles("s").save()
    asked: list[tuple[str, bool]] = []
    for model in (pairs, singles):
        connection = model._get_connection().connection
        dispatch = connection.dispatch

        def counted(op: str, kwargs: dict[str, Any], dispatch: Any = dispatch) -> Any:
            asked.append((op, kwargs.get("ConsistentRead", False)))
            return dispatch(op, kwargs)

        monkeypatch.setattr(connection, "dispatch", counted)
    found = find_item(pairs, "a", 1, consistent=consistent)
    assert found is not None
    assert found.label == "one"
    assert find_item(pairs, "a", 2, consistent=consistent) is None
    single = find_item(singles, "s", consistent=consistent)
    assert isinstance(single, singles)
    assert single.name == "s"
    assert asked == [("GetItem", consistent)] * 3


class _Put:
    """A staged item: a ``Single`` put only where none exists (as an inbox claim is)."""

    def __init__(self, item: Single) -> None:
        self.item = item

    def add_to(self, tx: Any) -> None:
        tx.save(self.item, condition=type(self.item).name.does_not_exist())

    def lost_race(self) -> bool:
        return False


def test_update_within_writes_the_update_and_its_staged_items_or_nothing(
    db_settings: LiftSettings,
) -> None:
    pairs = bind_model(Pair, db_settings, "within-lab-pairs")
    singles = bind_model(Single, db_settings, "within-lab-singles")
    ensure_tables([pairs, singles], db_settings)
    pairs("a", 1, label="open").save()
    wire = transaction_connection(pairs)

    def close(claim: str) -> bool:
        return update_within(
            wire,
            pairs("a", 1),
            actions=[Pair.label.set("closed")],
            condition=Pair.label == "open",
            staged=[_Put(singles(claim))],
        )

    assert close("first") is True
    assert pairs.get("a", 1).label == "closed"
    assert close("second") is False  # the state moved on: nothing written, not even the claim
    assert [s.name for s in singles.scan()] == ["first"]
    pairs("a", 1, label="open").save()
    with pytest.raises(TransactWriteError):  # a staged item's own condition is not "moved on"
        close("first")
    assert pairs.get("a", 1).label == "open"
