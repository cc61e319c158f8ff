"""Healthcare's DynamoDB tables (PynamoDB models never leave ``adapters/``)."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from lift_core import LiftSettings
from lift_core.dynamo import bind_model, transaction_connection


class MrnIndex(GlobalSecondaryIndex["PatientModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "mrn-index"
        projection = KeysOnlyProjection()

    tenant_mrn = UnicodeAttribute(hash_key=True)


class SsnIndex(GlobalSecondaryIndex["PatientModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "ssn-index"
        projection = KeysOnlyProjection()

    ssn_index = UnicodeAttribute(hash_key=True)  # blind index: HMAC of tenant|ssn|value


class PatientModel(Model):
    """Patients (``pat_…``) and one ``mrn#<MRN>`` claim per MRN in the same partition."""

    class Meta:
        table_name = "patients"

    tenant_id = UnicodeAttribute(hash_key=True)
    patient_id = UnicodeAttribute(range_key=True)
    tenant_mrn = UnicodeAttribute(null=True)
    mrn = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    bank_account_id = UnicodeAttribute(null=True)
    phi = JSONAttribute(null=True)  # field -> ciphertext under the patient's key
    ssn_sealed = UnicodeAttribute(null=True)
    ssn_index = UnicodeAttribute(null=True)
    consent = JSONAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    mrn_index = MrnIndex()
    by_ssn = SsnIndex()


class ProviderModel(Model):
    """Providers (``prv_…``), one ``npi#<NPI>`` claim per NPI, and one ``sub#<subject>``
    claim per login: a copy of the provider it names (``provider``), so an access decision
    finds the caller's provider by key, in the same batch as what it decides on."""

    class Meta:
        table_name = "providers"

    tenant_id = UnicodeAttribute(hash_key=True)
    provider_id = UnicodeAttribute(range_key=True)
    npi = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    provider = UnicodeAttribute(null=True)  # on a ``sub#`` claim: the provider's id


class CareModel(Model):
    """Encounters (``enc_…``), care relationships (``rel#<patient>#<provider>``) and
    break-glass grants (``bg#<patient>#<provider>``): what access decisions look up."""

    class Meta:
        table_name = "care"

    tenant_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    patient_id = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)


class PatientRecordsIndex(GlobalSecondaryIndex["RecordModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "patient-index"
        projection = AllProjection()

    tenant_patient = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class RecordModel(Model):
    class Meta:
        table_name = "records"

    tenant_id = UnicodeAttribute(hash_key=True)
    record_id = UnicodeAttribute(range_key=True)
    tenant_patient = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    author_provider_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    content_sealed = UnicodeAttribute()
    created_at = UnicodeAttribute()
    by_patient = PatientRecordsIndex()


class DisclosureModel(Model):
    """Accounting of disclosures (HIPAA 164.528): one item per PHI access, per patient."""

    class Meta:
        table_name = "disclosures"

    tenant_patient = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # "<iso time>#<random>"
    at = UnicodeAttribute()
    accessor = UnicodeAttribute()
    role = UnicodeAttribute()
    purpose = UnicodeAttribute()
    resource = UnicodeAttribute()
    outcome = UnicodeAttribute()
    reason = UnicodeAttribute()
    emergency = BooleanAttribute(default=False)


class OpenInvoicesIndex(GlobalSecondaryIndex["InvoiceModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "open-index"
        projection = AllProjection()

    open_marker = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class InvoiceModel(Model):
    class Meta:
        table_name = "invoices"

    tenant_id = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute(range_key=True)
    encounter_id = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    payer_account_id = UnicodeAttribute()
    merchant_account_id = UnicodeAttribute()
    status = UnicodeAttribute()
    payment_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    open_marker = UnicodeAttribute(null=True)
    open_index = OpenInvoicesIndex()


class ClinicModel(Model):
    class Meta:
        table_name = "clinics"

    tenant_id = UnicodeAttribute(hash_key=True)
    merchant_account_id = UnicodeAttribute()
    currency = UnicodeAttribute()


@dataclass(frozen=True, slots=True)
class ClinicTables:
    patients: type[PatientModel]
    providers: type[ProviderModel]
    care: type[CareModel]
    records: type[RecordModel]
    disclosures: type[DisclosureModel]
    invoices: type[InvoiceModel]
    clinics: type[ClinicModel]

    @classmethod
    def bind(cls, lift: LiftSettings) -> ClinicTables:
        return cls(
            patients=bind_model(PatientModel, lift, "healthcare-patients"),
            providers=bind_model(ProviderModel, lift, "healthcare-providers"),
            care=bind_model(CareModel, lift, "healthcare-care"),
            records=bind_model(RecordModel, lift, "healthcare-records"),
            disclosures=bind_model(DisclosureModel, lift, "healthcare-disclosures"),
            invoices=bind_model(InvoiceModel, lift, "healthcare-invoices"),
            clinics=bind_model(ClinicModel, lift, "healthcare-clinics"),
        )

    def connection(self) -> Connection:
        """One low-level connection for the transactions, at the tables' endpoint."""
        return transaction_connection(self.patients)

    def all(self) -> list[type[Model]]:
        return [
            self.patients,
            self.providers,
            self.care,
            self.records,
            self.disclosures,
            self.invoices,
            self.clinics,
        ]
