"""The tables lift_core keeps for every service, bound and wired in one place.

Every service has an audit chain, idempotency keys, an event outbox and a consumer inbox next
to its own tables; one that encrypts personal data also has data keys. ``ServiceTables.bind``
binds them as ``<service>-audit``, ``<service>-idempotency``, ``<service>-outbox``,
``<service>-inbox`` and ``<service>-keys``, creates any that are
missing in dev/test (``LIFT_AUTO_CREATE_TABLES``), and hands out what ``create_app`` and the
use cases need from them::

    platform = ServiceTables.bind(lift, "banking", tables.all())
    audit = platform.recorder(audit_policy(settings))
    app = create_app(..., audit=audit, readiness_checks=platform.readiness_checks(),
                     idempotency_store=platform.idempotency_store())

The infrastructure templates (``infra/sam``) declare the same tables; a test compares them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from pynamodb.models import Model

from lift_core.audit import AuditPolicy, AuditRecord, AuditRecorder, DynamoAuditStore
from lift_core.clock import Clock, utc_now
from lift_core.config import LiftSettings
from lift_core.dynamo import bind_model, ensure_tables, table_check
from lift_core.events.consume import Inbox, InboxRecord
from lift_core.events.outbox import Outbox, OutboxRecord
from lift_core.idempotency.dynamo import DynamoIdempotencyStore, IdempotencyRecord
from lift_core.protection import DataKeyRecord, EnvelopeCipher, cipher_from_settings


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
