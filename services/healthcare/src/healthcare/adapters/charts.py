"""Encounters and break-glass grants, records and the accounting of disclosures on DynamoDB."""

from __future__ import annotations

import uuid
from typing import Any

from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from lift_core.audit import Staged
from lift_core.dynamo import find_item, get_items

from healthcare.adapters.models import (
    CareModel,
    DisclosureModel,
    PatientModel,
    ProviderModel,
    RecordModel,
)
from healthcare.adapters.people import patient_of, provider_of, subject_claim
from healthcare.domain.exceptions import RecordNotFound
from healthcare.domain.models import BreakGlass, Disclosure, Encounter, Provider, Record
from healthcare.service.ports import Position, Standing


class DynamoCare:
    """One table: ``enc_…`` encounters, ``rel#<patient>#<provider>`` care relationships
    (written with the encounter that creates them) and ``bg#<patient>#<provider>`` grants."""

    def __init__(
        self, model: type[CareModel], connection: Connection, patients: type[PatientModel]
    ) -> None:
        self.model = model
        self.patients = patients  # read with the relationship and grant they qualify
        self._connection = connection

    def add_encounter(self, encounter: Encounter) -> None:
        e, m = encounter, self.model
        with TransactWrite(connection=self._connection) as tx:
            for item_id in (e.id, f"rel#{e.patient_id}#{e.provider_id}"):
                tx.save(
                    m(
                        e.tenant_id,
                        item_id,
                        patient_id=e.patient_id,
                        provider_id=e.provider_id,
                        created_at=e.created_at,
                    )
                )

    def find_encounter(self, tenant_id: str, encounter_id: str) -> Encounter | None:
        ours = encounter_id.startswith("enc_")
        item = find_item(self.model, tenant_id, encounter_id, consistent=False) if ours else None
        if item is None:
            return None
        return Encounter(
            item.item_id, tenant_id, item.patient_id, item.provider_id, item.created_at
        )

    def grant_break_glass(self, grant: BreakGlass) -> None:
        self.model(
            grant.tenant_id,
            f"bg#{grant.patient_id}#{grant.provider_id}",
            patient_id=grant.patient_id,
            provider_id=grant.provider_id,
            created_at=grant.at,
            expires_at=grant.until,
            reason=grant.reason,
        ).save()

    def standing(self, tenant_id: str, patient_id: str, provider_id: str | None) -> Standing:
        if not patient_id.startswith("pat_"):
            return Standing(None)
        keys: list[tuple[Any, str, str]] = [(self.patients, tenant_id, patient_id)]
        if provider_id is not None:
            keys += [
                (self.model, tenant_id, f"rel#{patient_id}#{provider_id}"),
                (self.model, tenant_id, f"bg#{patient_id}#{provider_id}"),
            ]
        patient, *qualifiers = get_items(keys)
        relationship, grant = qualifiers or (None, None)
        return Standing(
            patient_of(patient) if patient is not None else None,
            related=relationship is not None,
            break_glass_until=grant.expires_at if grant is not None else None,
        )


class DynamoRecords:
    def __init__(self, model: type[RecordModel], providers: type[ProviderModel]) -> None:
        self.model = model
        self.providers = providers  # whose subject claims ``get_for`` reads beside the record

    def add(self, record: Record) -> None:
        r = record
        self.model(
            r.tenant_id,
            r.id,
            tenant_patient=f"{r.tenant_id}#{r.patient_id}",
            patient_id=r.patient_id,
            author_provider_id=r.author_provider_id,
            kind=r.kind,
            content_sealed=r.content_sealed,
            created_at=r.created_at,
        ).save()

    def get(self, tenant_id: str, record_id: str) -> Record:
        ours = record_id.startswith("rec_")
        item = find_item(self.model, tenant_id, record_id, consistent=False) if ours else None
        if item is None:
            raise RecordNotFound(record_id)
        return record_of(item)

    def get_for(
        self, tenant_id: str, record_id: str, subject: str
    ) -> tuple[Record, Provider | None]:
        if not record_id.startswith("rec_"):
            raise RecordNotFound(record_id)
        item, claim = get_items(
            [
                (self.model, tenant_id, record_id),
                (self.providers, tenant_id, subject_claim(subject)),
            ]
        )
        if item is None:
            raise RecordNotFound(record_id)
        return record_of(item), provider_of(claim) if claim is not None else None

    def of_patient(
        self, tenant_id: str, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Record], Position]:
        results = self.model.by_patient.query(
            f"{tenant_id}#{patient_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=start,
        )
        return [record_of(item) for item in results], results.last_evaluated_key


class DynamoDisclosures:
    def __init__(self, model: type[DisclosureModel], connection: Connection) -> None:
        self.model = model
        self._connection = connection

    def add(
        self, tenant_id: str, patient_id: str, disclosure: Disclosure, *, audit: Staged
    ) -> None:
        d = disclosure
        item = self.model(
            f"{tenant_id}#{patient_id}",
            f"{d.at}#{uuid.uuid4().hex[:8]}",
            at=d.at,
            accessor=d.accessor,
            role=d.role,
            purpose=d.purpose,
            resource=d.resource,
            outcome=d.outcome,
            reason=d.reason,
            emergency=d.emergency,
        )
        with TransactWrite(connection=self._connection) as tx:
            tx.save(item)
            audit.add_to(tx)

    def page(
        self, tenant_id: str, patient_id: str, *, limit: int, start: Position
    ) -> tuple[list[Disclosure], Position]:
        results = self.model.query(
            f"{tenant_id}#{patient_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=start,
        )
        page = [
            Disclosure(
                i.at, i.accessor, i.role, i.purpose, i.resource, i.outcome, i.reason,
                bool(i.emergency),
            )
            for i in results
        ]  # fmt: skip
        return page, results.last_evaluated_key


def record_of(item: RecordModel) -> Record:
    return Record(
        id=item.record_id,
        tenant_id=item.tenant_id,
        patient_id=item.patient_id,
        author_provider_id=item.author_provider_id,
        kind=item.kind,
        content_sealed=item.content_sealed,
        created_at=item.created_at,
    )
