"""The service's DynamoDB tables (PynamoDB models never leave ``adapters/``)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class OwnerIndex(GlobalSecondaryIndex["CaseModel"]):  # type: ignore[no-untyped-call]
    """A customer's own cases, oldest first."""

    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    tenant_owner = UnicodeAttribute(hash_key=True)  # "<tenant>#<owner>"
    created_at = UnicodeAttribute(range_key=True)


class CaseModel(Model):
    class Meta:
        table_name = "cases"

    tenant_id = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(range_key=True)
    tenant_owner = UnicodeAttribute()
    owner = UnicodeAttribute()
    title = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    version = VersionAttribute()
    owner_index = OwnerIndex()


class TallyModel(Model):
    """Per tenant, one item per decision status and currency (``tally``: "APPROVED#EUR")."""

    class Meta:
        table_name = "tallies"

    tenant_id = UnicodeAttribute(hash_key=True)
    tally = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    currency = UnicodeAttribute()
    cases = NumberAttribute(default=0)
    amount = NumberAttribute(default=0)
