"""One place that points PynamoDB models at the configured endpoint, region and tables.

Models shared by every service (idempotency, rate limits, audit) are built per service by
``bind_model`` so each service owns its own tables, even when several run in one process.

Every bound model of one endpoint and region uses one DynamoDB client, and every AWS
client lift_core makes (``aws_client``: KMS) comes from one botocore session per process.
Left to itself PynamoDB gives each model a session of its own (pynamodb/PynamoDB#876), and
each session parses botocore's DynamoDB service model again: about 10 MB and tens of
milliseconds per table. Even from one session each client costs about 20 ms to make (its
event hooks are deep-copied), which a service with ten tables paid at every cold start.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pynamodb.attributes import TTLAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from lift_core.config import LiftSettings

if TYPE_CHECKING:
    from lift_core.audit.log import Staged

M = TypeVar("M", bound=type[Model])
Item = TypeVar("Item", bound=Model)
# Every AWS service lift_core makes a client for. The Lambda zip keeps botocore's models of
# these alone (devtools.package), so a client of any other would fail only once deployed:
# aws_client refuses it here first.
AWS_SERVICES = frozenset(
    {"dynamodb", "dynamodbstreams", "events", "kms", "servicediscovery", "sqs"}
)
_log = logging.getLogger("lift.dynamo")


def condition_failed(exc: Exception) -> bool:
    """A PynamoDB write refused because its condition did not hold (not an outage)."""
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


def cancelled_by_condition(exc: Exception) -> list[bool]:
    """For a cancelled transaction: per item, whether its own condition failed."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [r is not None and r.code == "ConditionalCheckFailed" for r in reasons]


def transaction_conflicted(exc: Exception) -> bool:
    """Another transaction held one of the items (TransactionConflict): nothing was decided,
    so the same transaction may simply be tried again."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "TransactionConflict" for r in reasons)


def find_item(
    model: type[Item], hash_key: Any, range_key: Any = None, *, consistent: bool = True
) -> Item | None:
    """The item at the key, or None: the one read behind every repository's ``get`` (which
    raises its domain's not-found error on None) and ``find`` (which returns the None)."""
    try:
        return model.get(hash_key, range_key, consistent_read=consistent)
    except DoesNotExist:
        return None


def get_items(keys: Sequence[tuple[type[Model], Any, Any]]) -> list[Any]:
    """The items at ``(model, hash key, range key or None)``, across any tables of one
    endpoint, in one ``BatchGetItem`` (consistent reads; at most 100 keys): in the order
    asked, None where there is none. Keys DynamoDB leaves unprocessed are asked again.

    PynamoDB's ``batch_get`` reads one table; this is what lets a use case read everything
    it decides on (accounts, a mandate, a marker) in one round trip."""
    if len(keys) > 100:
        raise ValueError("BatchGetItem reads at most 100 keys")
    models: dict[str, type[Model]] = {}
    asked: list[tuple[str, str]] = []
    pending: dict[str, Any] = {}
    for model, hash_key, range_key in keys:
        table = model.Meta.table_name
        models[table] = model
        key = _key_of(model, *model._serialize_keys(hash_key, range_key))
        ident = (table, _canonical(key))
        if ident not in asked:  # DynamoDB refuses a batch that names a key twice
            pending.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
        asked.append(ident)
    found: dict[tuple[str, str], Any] = {}
    connection = next(iter(models.values()))._get_connection().connection
    for attempt in range(8):
        if not pending:
            break
        if attempt:
            time.sleep(min(0.05 * 2**attempt, 1.0))  # DynamoDB asks for a back-off
        answer = connection.dispatch("BatchGetItem", {"RequestItems": pending})
        for table, items in answer.get("Responses", {}).items():
            model = models[table]
            for item in items:
                answered = _canonical(_key_of(model, *_key_values(model, item)))
                found[(table, answered)] = model.from_raw_data(item)
        pending = answer.get("UnprocessedKeys") or {}
    if pending:
        raise RuntimeError("DynamoDB left keys unprocessed after every retry")
    return [found.get(ident) for ident in asked]


def _key_attributes(model: type[Model]) -> tuple[Any, Any]:
    attributes = model.get_attributes().values()
    hash_attr = next(a for a in attributes if a.is_hash_key)
    return hash_attr, next((a for a in attributes if a.is_range_key), None)


def _key_of(model: type[Model], hash_value: Any, range_value: Any) -> dict[str, Any]:
    hash_attr, range_attr = _key_attributes(model)
    key = {hash_attr.attr_name: {hash_attr.attr_type: hash_value}}
    if range_attr is not None:
        key[range_attr.attr_name] = {range_attr.attr_type: range_value}
    return key


def _key_values(model: type[Model], item: dict[str, Any]) -> tuple[Any, Any]:
    hash_attr, range_attr = _key_attributes(model)
    hash_value = item[hash_attr.attr_name][hash_attr.attr_type]
    return hash_value, (item[range_attr.attr_name][range_attr.attr_type] if range_attr else None)


def _canonical(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True)


class TableCreationRefused(RuntimeError):
    """ensure_tables() was called outside dev/test."""


def bind_model(model: M, settings: LiftSettings, table: str) -> M:
    """A subclass of ``model`` bound to ``<table_prefix><table>`` at the configured endpoint."""
    meta_attrs: dict[str, object] = {
        "table_name": f"{settings.table_prefix}{table}",
        "region": settings.aws_region,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": 3,
        "connect_timeout_seconds": 2,
        "read_timeout_seconds": 5,
    }
    if settings.dynamodb_endpoint:
        meta_attrs["host"] = settings.dynamodb_endpoint
    if stream := getattr(model.Meta, "stream_view_type", None):
        meta_attrs["stream_view_type"] = stream  # the outbox streams its new items
    meta = type("Meta", (), meta_attrs)
    bound = type(model.__name__, (model,), {"Meta": meta, "__module__": model.__module__})
    _client_from_shared_session(bound)
    return bound  # type: ignore[return-value]


_client_lock = threading.Lock()  # botocore client creation from one session is not thread-safe


@functools.cache
def _botocore_session() -> Any:
    from botocore.session import get_session

    return get_session()


def _declared(service: str) -> None:
    if service not in AWS_SERVICES:
        raise ValueError(f"{service!r} is not in lift_core.dynamo.AWS_SERVICES; add it there")


def aws_client(service: str, settings: LiftSettings) -> Any:
    """A botocore client for ``service`` (``"kms"``...) at the configured region and endpoint,
    from the same process-wide session as the tables' clients: one session, one parse of
    the endpoint rules, for every AWS client of the service."""
    _declared(service)
    from botocore.config import Config

    # An emulator is one host: no per-operation host prefix (Cloud Map's "data-").
    config = Config(inject_host_prefix=False) if settings.dynamodb_endpoint else None
    with _client_lock:
        return _botocore_session().create_client(
            service,
            region_name=settings.aws_region,
            endpoint_url=settings.dynamodb_endpoint,
            config=config,
        )


# One DynamoDB client per (region, endpoint): bind_model gives every model the same Meta
# options, so the clients PynamoDB would make per model are all alike.
_dynamodb_clients: dict[tuple[str, str | None], Any] = {}


class LazyAwsClient:
    """``aws_client(service, settings)``, made on its first use: a cold start that never
    calls the service skips loading its model (KMS: ~110 ms from a service's zip)."""

    def __init__(self, service: str, settings: LiftSettings) -> None:
        _declared(service)
        self._service = service
        self._settings = settings
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = aws_client(self._service, self._settings)
        return getattr(self._client, name)


def _client_from_shared_session(model: type[Model]) -> None:
    # PynamoDB has no public way to hand a model a session or a client (pynamodb/PynamoDB
    # #1245): its connection takes the session from a thread-local and keeps the client it
    # makes from it. The first model of a (region, endpoint) makes the client, under the
    # lock; later ones are handed that client. Every thread reuses it.
    connection = model._get_connection().connection
    key = (connection.region, connection.host)
    with _client_lock:
        connection._local.session = _botocore_session()
        shared = _dynamodb_clients.get(key)
        if shared is None:
            _dynamodb_clients[key] = connection.client
        else:
            connection._client = shared


def update_within(
    connection: Connection,
    item: Model,
    *,
    actions: Sequence[Any],
    condition: Any,
    staged: Sequence[Staged],
) -> bool:
    """Update ``item`` where ``condition`` holds, in one transaction with the ``staged``
    items (an audit event, an inbox claim, events). False, with nothing written, when the
    update's own condition failed (the state moved on); raises on anything else, a staged
    item's lost race included (the audit log then tries again at the new head)."""
    try:
        with TransactWrite(connection=connection) as tx:
            tx.update(item, actions=list(actions), condition=condition)
            for extra in staged:
                extra.add_to(tx)
    except TransactWriteError as exc:
        if any(extra.lost_race() for extra in staged):
            raise
        # PynamoDB sends puts (the staged items) before updates (``item``).
        if cancelled_by_condition(exc)[len(staged) : len(staged) + 1] == [True]:
            return False
        raise
    return True


def transaction_connection(model: type[Model]) -> Connection:
    """The low-level connection of ``model``'s table, for ``TransactWrite`` across the
    service's tables: its botocore client is the one every table of the endpoint shares,
    so a transaction makes no client of its own."""
    return model._get_connection().connection


def ensure_tables(models: Iterable[type[Model]], settings: LiftSettings) -> None:
    """Create missing tables, their indexes and TTL. Idempotent; dev/test only."""
    if not settings.is_dev:
        raise TableCreationRefused(
            "tables are created by the infrastructure templates outside dev/test"
        )
    for model in models:
        if not model.exists():
            _log.info("creating table %s", model.Meta.table_name)
            model.create_table(wait=True)
        if any(isinstance(a, TTLAttribute) for a in model.get_attributes().values()):
            model.update_ttl(ignore_update_ttl_errors=True)


async def table_check(models: Iterable[type[Model]]) -> None:
    """Readiness check: every table answers DescribeTable."""
    import anyio.to_thread

    for model in models:
        await anyio.to_thread.run_sync(model.describe_table)
