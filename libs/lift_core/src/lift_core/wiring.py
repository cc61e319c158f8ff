"""The tables lift_core keeps for every service, bound and wired in one place.

Every service has an audit chain, idempotency keys, an event outbox and a consumer inbox next
to its own tables; one that encrypts personal data also has data keys. ``ServiceTables.bind``
binds them as ``<service>-audit``, ``<service>-idempotency``, ``<service>-outbox``,
``<service>-inbox`` and ``<service>-keys``, creates any that are
missing in dev/test (``LIFT_AUTO_CREATE_TABLES``), and hands out what ``create_app`` and the
use cases need from them::

    platform = ServiceTables.bind(lift, "banking", tables.all())
    audit = platform.recorder(audit_policy(settings))

``create_service_app(lift, graph, ...)`` then builds every service's app the same way on its
``bootstrap`` graph: readiness, idempotency keys, the audit routes, periodic jobs, and in a
dev estate the event relay and consumers under the chaos switch.

The infrastructure templates (``infra/sam``) declare the same tables; a test compares them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pynamodb.models import Model

from lift_core.audit import AuditLog, AuditPolicy, AuditRecord, AuditRecorder, DynamoAuditStore
from lift_core.clock import Clock, utc_now
from lift_core.config import LiftSettings
from lift_core.dynamo import bind_model, ensure_tables, table_check
from lift_core.events.consume import Inbox, InboxRecord
from lift_core.events.outbox import Outbox, OutboxRecord
from lift_core.idempotency.dynamo import DynamoIdempotencyStore, IdempotencyRecord
from lift_core.protection import DataKeyRecord, EnvelopeCipher, cipher_from_settings
from lift_core.tasks import PeriodicJob, background

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

    from lift_core.auth import JwtVerifier
    from lift_core.events.consume import Consumer
    from lift_core.events.topology import Subscription
    from lift_core.idempotency.middleware import ResponseSealer


@dataclass(frozen=True)
class ServiceTables:
    lift: LiftSettings
    service: str
    owned: tuple[type[Model], ...]  # every table of the service, its own first
    audit: type[AuditRecord]
    idempotency: type[IdempotencyRecord]
    outbox_table: type[OutboxRecord]
    inbox_table: type[InboxRecord]
    keys: type[DataKeyRecord] | None

    @classmethod
    def bind(
        cls,
        lift: LiftSettings,
        service: str,
        own: Iterable[type[Model]],
        *,
        data_keys: bool = False,
    ) -> ServiceTables:
        audit = bind_model(AuditRecord, lift, f"{service}-audit")
        idempotency = bind_model(IdempotencyRecord, lift, f"{service}-idempotency")
        outbox = bind_model(OutboxRecord, lift, f"{service}-outbox")
        inbox = bind_model(InboxRecord, lift, f"{service}-inbox")
        keys = bind_model(DataKeyRecord, lift, f"{service}-keys") if data_keys else None
        owned: tuple[type[Model], ...] = (*own, audit, idempotency, outbox, inbox)
        if keys is not None:
            owned = (*owned, keys)
        if lift.auto_create_tables:
            ensure_tables(owned, lift)
        return cls(lift, service, owned, audit, idempotency, outbox, inbox, keys)

    def outbox(self, clock: Clock = utc_now) -> Outbox:
        return Outbox(self.outbox_table, service=self.service, clock=clock)

    def inbox(self) -> Inbox:
        return Inbox(self.inbox_table)

    def recorder(self, policy: AuditPolicy) -> AuditRecorder:
        return AuditRecorder(DynamoAuditStore(self.audit), policy, service=self.service)

    def idempotency_store(self) -> DynamoIdempotencyStore:
        return DynamoIdempotencyStore(self.idempotency, self.lift.idempotency_ttl_seconds)

    def readiness_checks(self) -> dict[str, Callable[[], Awaitable[None]]]:
        return {"dynamodb": lambda: table_check(self.owned)}

    def cipher(self) -> EnvelopeCipher:
        if self.keys is None:
            raise ValueError(f"{self.service} was bound without data_keys=True")
        return cipher_from_settings(self.lift, self.keys)


class ServiceGraph(Protocol):
    """What ``create_service_app`` needs of a service's ``bootstrap`` graph."""

    @property
    def platform(self) -> ServiceTables | None: ...  # None: storage and audit were injected

    @property
    def audit(self) -> AuditLog: ...

    @property
    def consumers(self) -> tuple[Consumer, ...]: ...


def create_service_app(
    lift: LiftSettings,
    graph: ServiceGraph,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    error_map: Mapping[type[Exception], tuple[int, str]],
    subscriptions: Iterable[Subscription] = (),
    jobs: Iterable[PeriodicJob] = (),
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
    idempotency_sealer: ResponseSealer | None = None,
    verifier: JwtVerifier | None = None,
) -> FastAPI:
    """A service's app on its ``bootstrap`` graph, wired the same way for every service:
    ``create_app`` with the graph's tables (readiness, idempotency keys) and audit recorder,
    its periodic ``jobs``, and in a dev estate (``LIFT_EVENTS_LOCAL``) its event relay and
    the consumers of its ``subscriptions``, all obeying the one chaos switch the app serves
    (``/internal/faults``, when enabled)."""
    # Imported here: the event Lambdas import this module (bootstrap) but never build an app.
    from lift_core.app import create_app
    from lift_core.events.local import local_jobs
    from lift_core.faults import FaultSwitch

    platform = graph.platform
    switch = FaultSwitch.when_enabled(lift)
    events = (
        local_jobs(lift, platform, graph.consumers, subscriptions, switch=switch)
        if platform
        else []
    )
    return create_app(
        settings=lift,
        title=title,
        description=description,
        routers=routers,
        error_map=error_map,
        readiness_checks=platform.readiness_checks() if platform else None,
        idempotency_store=platform.idempotency_store() if platform else None,
        idempotency_sealer=idempotency_sealer,
        audit=graph.audit if isinstance(graph.audit, AuditRecorder) else None,
        verifier=verifier,
        graph=graph,
        lifespan=background(*jobs, *events, on_shutdown=on_shutdown),
        fault_switch=switch,
    )
