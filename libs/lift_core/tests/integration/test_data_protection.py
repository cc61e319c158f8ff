"""Envelope encryption with KMS data keys on the emulator, crypto-shredding, blind index."""

from __future__ import annotations

import base64
import json
import logging
from typing import Annotated, Any

import boto3
import pytest
from pydantic import BaseModel

from lift_core import LiftSettings
from lift_core.audit import (
    ActionRule,
    AuditPolicy,
    AuditRecord,
    AuditRecorder,
    DynamoAuditStore,
    verify_events,
)
from lift_core.dynamo import bind_model, ensure_tables
from lift_core.protection import (
    BlindIndex,
    Classification,
    Classified,
    DataKeyRecord,
    EnvelopeCipher,
    SubjectErased,
    classified_fields,
    mask_email,
    mask_full,
    mask_last_four,
    register_classified,
    shape,
)
from lift_core.protection.envelope import TamperedCiphertext
from lift_core.redaction import redact

pytestmark = pytest.mark.integration


@pytest.fixture
def kms(dynamodb_endpoint: str) -> Any:
    return boto3.client("kms", endpoint_url=dynamodb_endpoint, region_name="us-east-1")


@pytest.fixture
def cipher(db_settings: LiftSettings, kms: Any) -> EnvelopeCipher:
    model = bind_model(DataKeyRecord, db_settings, "keys")
    ensure_tables([model], db_settings)
    key_id = kms.create_key(Description="lift test")["KeyMetadata"]["KeyId"]
    return EnvelopeCipher(model, kms_client=kms, kms_key_id=key_id)


def test_fields_round_trip_and_ciphertexts_are_bound_to_tenant_subject_and_field(
    cipher: EnvelopeCipher,
) -> None:
    token = cipher.encrypt("acme", "patient-1", "ssn", "123-45-6789")
    assert "123-45-6789" not in token
    assert token != cipher.encrypt("acme", "patient-1", "ssn", "123-45-6789")  # fresh nonce
    assert cipher.decrypt("acme", "patient-1", "ssn", token) == "123-45-6789"
    with pytest.raises(TamperedCiphertext):
        cipher.decrypt("acme", "patient-1", "name", token)  # moved to another field
    cipher.encrypt("acme", "patient-2", "ssn", "x")
    with pytest.raises(TamperedCiphertext):
        cipher.decrypt("acme", "patient-2", "ssn", token)  # moved to another subject
    raw = bytearray(base64.b64decode(token.split(":")[1]))
    raw[-1] ^= 1
    with pytest.raises(TamperedCiphertext):
        cipher.decrypt("acme", "patient-1", "ssn", "v1:" + base64.b64encode(raw).decode())


def test_keys_are_per_subject_stored_wrapped_and_survive_a_cold_cache(
    cipher: EnvelopeCipher, db_settings: LiftSettings, kms: Any
) -> None:
    token = cipher.encrypt("acme", "p-7", "name", "Jane Roe")
    record = cipher.model.get("acme#p-7")
    assert len(record.wrapped) > 32  # the KMS-wrapped blob, not the 32-byte key
    cold = EnvelopeCipher(cipher.model, kms_client=kms, kms_key_id=cipher.kms_key_id)
    assert cold.decrypt("acme", "p-7", "name", token) == "Jane Roe"


def test_crypto_shredding_one_subject_leaves_others_and_the_audit_chain_intact(
    cipher: EnvelopeCipher, db_settings: LiftSettings
) -> None:
    audit_model = bind_model(AuditRecord, db_settings, "audit")
    ensure_tables([audit_model], db_settings)
    recorder = AuditRecorder(
        DynamoAuditStore(audit_model),
        AuditPolicy({}, default=ActionRule(("GDPR art. 30",), retention_days=30)),
        service="test",
    )
    erased = cipher.encrypt("acme", "cust-1", "email", "jane@example.com")
    kept = cipher.encrypt("acme", "cust-2", "email", "john@example.com")
    recorder.record("customer.create", "customer/cust-1", "success", tenant="acme")
    cipher.shred("acme", "cust-1")
    recorder.record("customer.erase", "customer/cust-1", "success", tenant="acme")
    with pytest.raises(SubjectErased):
        cipher.decrypt("acme", "cust-1", "email", erased)
    assert cipher.decrypt("acme", "cust-2", "email", kept) == "john@example.com"
    stream = recorder.stream("acme", 30)
    assert verify_events(stream, recorder.store.read(stream)).ok


def test_blind_index_is_deterministic_normalised_and_tenant_scoped() -> None:
    index = BlindIndex(b"k" * 32)
    a = index.compute("acme", "ssn", "123-45-6789")
    assert a == index.compute("acme", "ssn", " 123 45 6789 ")
    assert a != index.compute("globex", "ssn", "123-45-6789")
    assert a != index.compute("acme", "tax_id", "123-45-6789")
    assert a != BlindIndex(b"j" * 32).compute("acme", "ssn", "123-45-6789")
    assert "6789" not in a
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndex(b"short")


def test_masking_helpers() -> None:
    assert mask_last_four("4111111111111111") == "************1111"
    assert mask_email("jane.doe@example.com") == "j*******@example.com"
    assert mask_full("anything") == "********"


class Patient(BaseModel):
    id: str
    name: Annotated[str, Classified(Classification.CONFIDENTIAL)]
    diagnosis_code: Annotated[str, Classified(Classification.RESTRICTED)]
    clinic: Annotated[str, Classified(Classification.PUBLIC)]


def test_classification_drives_log_and_audit_redaction() -> None:
    assert classified_fields(Patient) == {
        "id": Classification.INTERNAL,
        "name": Classification.CONFIDENTIAL,
        "diagnosis_code": Classification.RESTRICTED,
        "clinic": Classification.PUBLIC,
    }
    register_classified(Patient)
    shown = redact(Patient(id="p1", name="Jane", diagnosis_code="J10", clinic="North").model_dump())
    assert shown == {
        "id": "p1",
        "name": "[REDACTED]",
        "diagnosis_code": "[REDACTED]",
        "clinic": "North",
    }
    assert "J10" not in json.dumps(shown)


def test_shaping_shows_each_clearance_only_what_it_may_see() -> None:
    patient = Patient(id="p1", name="Jane Roe", diagnosis_code="J10", clinic="North")
    billing = shape(patient, clearance=Classification.CONFIDENTIAL)
    assert billing == {"id": "p1", "name": "Jane Roe", "clinic": "North"}
    front_desk = shape(patient, clearance=Classification.INTERNAL, masks={"name": mask_email})
    assert front_desk == {"id": "p1", "name": "********", "clinic": "North"}
    assert shape(patient, clearance=Classification.RESTRICTED)["diagnosis_code"] == "J10"


def test_restricted_values_reach_neither_logs_nor_audit(
    db_settings: LiftSettings, restricted_canary: Any, json_logs: list[str]
) -> None:
    """The session-wide checks then scan every log line and audit item for the canary."""
    diagnosis = restricted_canary("J10-canary-diagnosis")
    patient = Patient(id="p9", name="Jo Canary", diagnosis_code=diagnosis, clinic="North")
    register_classified(Patient)
    logging.getLogger("healthcare").info("chart opened", extra={"patient": patient.model_dump()})
    audit_model = bind_model(AuditRecord, db_settings, "audit")
    ensure_tables([audit_model], db_settings)
    recorder = AuditRecorder(
        DynamoAuditStore(audit_model),
        AuditPolicy({}, default=ActionRule(("HIPAA 164.312(b)",), retention_days=2190)),
        service="test",
    )
    event = recorder.record(
        "record.read", "patient/p9", "success", patient.model_dump(), tenant="acme"
    )
    assert diagnosis not in json.dumps(event.details)
    assert all(diagnosis not in line for line in json_logs)
    assert json_logs  # the line was written, redacted
