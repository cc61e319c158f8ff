"""Tamper tests against the emulator, concurrent appends, digests and the compliance routes."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from lift_core import LiftSettings
from lift_core.audit import (
    HIPAA,
    PCI_DSS,
    ActionRule,
    AuditPolicy,
    AuditRecord,
    AuditRecorder,
    Digest,
    DynamoAuditStore,
    Staged,
    StagedAppend,
    compute_hash,
    prove,
    verify_events,
)
from lift_core.dynamo import bind_model, ensure_tables

pytestmark = pytest.mark.integration
Mint = Callable[..., str]

POLICY = AuditPolicy(
    {
        "payment.*": ActionRule((PCI_DSS,), retention_days=365),
        "record.read": ActionRule((HIPAA,), retention_days=365, sensitive=True),
        "break_glass": ActionRule((HIPAA,), retention_days=365, sensitive=True, emergency=True),
    },
    default=ActionRule((PCI_DSS,), retention_days=365),
)


@pytest.fixture
def audit_model(db_settings: LiftSettings) -> type[AuditRecord]:
    # Not "*-audit": these chains are tampered with on purpose, so the suite-wide check
    # that every audit table verifies at the end leaves them out.
    model = bind_model(AuditRecord, db_settings, "audit-tamper-lab")
    ensure_tables([model], db_settings)
    return model


@pytest.fixture
def recorder(audit_model: type[AuditRecord]) -> AuditRecorder:
    return AuditRecorder(DynamoAuditStore(audit_model), POLICY, service="test")


def _fill(recorder: AuditRecorder, n: int, tenant: str = "acme") -> str:
    for i in range(n):
        recorder.record("payment.capture", f"payment/{i}", "success", {"amount": i}, tenant=tenant)
    return recorder.stream(tenant, 365)


def _verify(recorder: AuditRecorder, stream: str) -> Any:
    return verify_events(stream, recorder.store.read(stream))


def test_an_untouched_chain_verifies(recorder: AuditRecorder) -> None:
    stream = _fill(recorder, 8)
    result = _verify(recorder, stream)
    assert (result.ok, result.checked, result.head_seq) == (True, 8, 8)


def test_altering_an_item_is_detected_at_its_sequence(
    recorder: AuditRecorder, audit_model: type[AuditRecord]
) -> None:
    stream = _fill(recorder, 8)
    item = audit_model.get(stream, 5)
    item.outcome = "failure"
    item.save()
    result = _verify(recorder, stream)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 5, "changed")


def test_altering_an_item_and_its_hash_is_detected_at_its_sequence(
    recorder: AuditRecorder, audit_model: type[AuditRecord]
) -> None:
    stream = _fill(recorder, 8)
    event = recorder.store.to_event(audit_model.get(stream, 4))
    forged = dataclasses.replace(event, details={"amount": 999_999})
    item = audit_model.get(stream, 4)
    item.details = json.dumps(forged.details)
    item.hash = compute_hash(forged)
    item.save()
    result = _verify(recorder, stream)
    assert (result.first_broken_seq, result.reason) == (4, "changed")


def test_deleting_an_item_is_detected_at_its_sequence(
    recorder: AuditRecorder, audit_model: type[AuditRecord]
) -> None:
    stream = _fill(recorder, 8)
    audit_model.get(stream, 3).delete()
    result = _verify(recorder, stream)
    assert (result.first_broken_seq, result.reason) == (3, "deleted")


def test_deleting_the_oldest_items_is_detected_when_they_were_not_due_to_expire(
    recorder: AuditRecorder, audit_model: type[AuditRecord]
) -> None:
    stream = _fill(recorder, 5)
    audit_model.get(stream, 1).delete()
    audit_model.get(stream, 2).delete()
    result = _verify(recorder, stream)
    assert (result.first_broken_seq, result.reason) == (2, "deleted")


def test_reordering_items_is_detected_at_the_first_moved_sequence(
    recorder: AuditRecorder, audit_model: type[AuditRecord]
) -> None:
    stream = _fill(recorder, 8)
    five, six = audit_model.get(stream, 5), audit_model.get(stream, 6)
    five.delete()
    six.delete()
    five.seq, six.seq = 6, 5
    five.save()
    six.save()
    result = _verify(recorder, stream)
    assert (result.first_broken_seq, result.reason) == (5, "reordered")


def test_inserting_an_item_is_detected_at_its_sequence(
    recorder: AuditRecorder, audit_model: type[AuditRecord]
) -> None:
    stream = _fill(recorder, 6)
    # Shift 4..6 up by one and slip a well-formed, correctly hashed event in at 4.
    for seq in (6, 5, 4):
        item = audit_model.get(stream, seq)
        item.delete()
        item.seq = seq + 1
        item.save()
    three = recorder.store.to_event(audit_model.get(stream, 3))
    forged = dataclasses.replace(
        three, seq=4, resource="payment/forged", prev_hash=three.hash, prev_ts=three.ts
    )
    forged = dataclasses.replace(forged, hash=compute_hash(forged))
    recorder.store._to_record(forged).save()
    result = _verify(recorder, stream)
    assert (result.first_broken_seq, result.reason) == (4, "inserted")


def test_a_consistent_rewrite_of_history_is_caught_by_an_earlier_digest(
    recorder: AuditRecorder, audit_model: type[AuditRecord]
) -> None:
    stream = _fill(recorder, 6)
    seq, head_hash, _ = recorder.store.head(stream)
    digest = Digest(stream, seq, head_hash, "2026-11-22T00:00:00+00:00")
    assert prove(digest, recorder.store.read(stream)).ok
    # The attacker edits event 2 and recomputes every hash after it: the chain verifies...
    events = recorder.store.read(stream)
    rewritten = []
    prev_hash = events[0].hash
    for event in events[1:]:
        changed = dataclasses.replace(event, prev_hash=prev_hash)
        if event.seq == 2:
            changed = dataclasses.replace(changed, details={"amount": 0})
        changed = dataclasses.replace(changed, hash=compute_hash(changed))
        rewritten.append(changed)
        prev_hash = changed.hash
    for event in rewritten:
        recorder.store._to_record(event).save()
    assert _verify(recorder, stream).ok
    # ...but not against the digest the auditor kept.
    proof = prove(digest, recorder.store.read(stream))
    assert (proof.ok, proof.first_broken_seq, proof.reason) == (False, 6, "digest-mismatch")


@pytest.mark.slow
def test_twenty_concurrent_writers_leave_one_unbroken_chain(
    audit_model: type[AuditRecord],
) -> None:
    """Four service instances (separate stores, no shared lock) with five concurrent
    requests each: instances race for every sequence number through conditional writes."""
    errors: list[BaseException] = []
    instances = [
        AuditRecorder(DynamoAuditStore(audit_model), POLICY, service="test") for _ in range(4)
    ]

    def writer(n: int) -> None:
        own = instances[n % 4]
        try:
            for i in range(50):
                own.record("payment.capture", f"w{n}/{i}", "success", tenant="race")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = DynamoAuditStore(audit_model)
    stream = "race/365d"
    events = store.read(stream)
    result = verify_events(stream, events)
    assert result.ok, result
    assert [e.seq for e in events] == list(range(1, 1001))
    assert len({e.resource for e in events}) == 1000  # no event lost or written twice
    print(f"1,000 contended appends in {time.perf_counter() - started:.1f}s")


def test_details_are_classified_before_they_are_written(recorder: AuditRecorder) -> None:
    event = recorder.record(
        "payment.capture",
        "payment/1",
        "declined",
        {"card_number": "4111111111111111", "note": "ssn 123-45-6789", "ref": "pay_1"},
        tenant="acme",
    )
    stored = recorder.store.read(event.stream)[-1]
    raw = json.dumps(stored.details)
    assert "4111111111111111" not in raw
    assert "123-45-6789" not in raw
    assert stored.details["ref"] == "pay_1"
    assert verify_events(event.stream, recorder.store.read(event.stream)).ok


def test_retention_ttl_follows_the_policy(
    recorder: AuditRecorder, audit_model: type[AuditRecord]
) -> None:
    event = recorder.record("payment.capture", "payment/1", "success", tenant="acme")
    item = audit_model.get(event.stream, event.seq)
    kept = (item.expires_at.timestamp() - time.time()) / 86_400
    assert 364.9 < kept <= 365


async def test_compliance_routes_for_auditors_only(
    make_app: Any, recorder: AuditRecorder, mint: Mint
) -> None:
    app = make_app(audit=recorder)
    for i in range(5):
        recorder.record("payment.capture", f"payment/{i}", "success", tenant="acme", actor="bob")
    recorder.record("break_glass", "patient/9", "success", tenant="acme", actor="dr-who")
    recorder.record("payment.capture", "payment/x", "success", tenant="globex")
    auditor = {"Authorization": f"Bearer {mint('acme', 'audrey', roles=['auditor'])}"}
    customer = {"Authorization": f"Bearer {mint('acme', 'bob', roles=['customer'])}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.get("/api/v1/compliance/audit-trail", headers=customer)).status_code == 403
        first = (await c.get("/api/v1/compliance/audit-trail?limit=4", headers=auditor)).json()
        second = (
            await c.get(
                f"/api/v1/compliance/audit-trail?limit=4&cursor={first['next_cursor']}",
                headers=auditor,
            )
        ).json()
        seqs = [e["seq"] for e in first["items"] + second["items"]]
        assert seqs == [6, 5, 4, 3, 2, 1]  # newest first, nothing repeated or skipped
        assert all(e["stream"].startswith("acme/") for e in first["items"])
        by_actor = (
            await c.get("/api/v1/compliance/audit-trail?actor=dr-who", headers=auditor)
        ).json()
        assert [e["action"] for e in by_actor["items"]] == ["break_glass"]
        bad = await c.get("/api/v1/compliance/audit-trail?cursor=nonsense", headers=auditor)
        assert bad.status_code == 400
        verify = (await c.get("/api/v1/compliance/audit-trail/verify", headers=auditor)).json()
        assert verify["ok"] is True
        [digest] = (await c.get("/api/v1/compliance/audit-trail/digest", headers=auditor)).json()
        assert digest["stream"] == "acme/365d"
        proved = await c.post(
            "/api/v1/compliance/audit-trail/digest/verify", json=digest, headers=auditor
        )
        assert proved.json()["ok"] is True
        report = (await c.get("/api/v1/compliance/reports/hipaa", headers=auditor)).json()
        assert report["events"] == 1
        assert report["sensitive_access"] == 1
        assert [e["resource"] for e in report["emergency_access"]] == ["patient/9"]
        assert report["integrity"]["ok"] is True
        assert (await c.get("/api/v1/compliance/reports/iso", headers=auditor)).status_code == 404
        # A refused token is audited, unattributed; a tenant mismatch under its tenant.
        await c.get("/api/v1/whoami", headers={"Authorization": "Bearer forged"})
        await c.get("/api/v1/whoami", headers={**customer, "X-Tenant-ID": "globex"})
        pci = (await c.get("/api/v1/compliance/reports/pci-dss", headers=auditor)).json()
        assert pci["unattributed_failed_authentications"] >= 1
        assert pci["failed_authentications"] == 1
        assert pci["by_action_and_outcome"]["payment.capture:success"] == 5


class Thing(Model):
    """A stand-in for a service's state: what an audited transaction changes."""

    class Meta:
        table_name = "things"

    key = UnicodeAttribute(hash_key=True)


@pytest.fixture
def things(db_settings: LiftSettings) -> type[Thing]:
    model = bind_model(Thing, db_settings, "audit-tx-lab-things")
    ensure_tables([model], db_settings)
    return model


def _create_within(things: type[Thing], key: str, calls: list[str]) -> Callable[[Staged], None]:
    """A write that creates ``things(key)`` once, with the staged event in its transaction."""

    def write(staged: Staged) -> None:
        calls.append(key)
        meta = things.Meta
        connection = Connection(
            region=getattr(meta, "region", None), host=getattr(meta, "host", None)
        )
        with TransactWrite(connection=connection) as tx:
            tx.save(things(key), condition=things.key.does_not_exist())
            staged.add_to(tx)

    return write


def test_an_event_recorded_within_a_transaction_lands_only_with_it(
    recorder: AuditRecorder, things: type[Thing]
) -> None:
    stream, calls = recorder.stream("tx", 365), list[str]()
    first = recorder.record(
        "payment.capture",
        "thing/a",
        "success",
        tenant="tx",
        within=_create_within(things, "a", calls),
    )
    assert (things.get("a").key, first.seq) == ("a", 1)
    with pytest.raises(TransactWriteError):  # the state change is refused: no event either
        recorder.record(
            "payment.capture",
            "thing/a",
            "success",
            tenant="tx",
            within=_create_within(things, "a", calls),
        )
    assert [e.resource for e in recorder.store.read(stream)] == ["thing/a"]
    assert calls == ["a", "a"]  # a refusal is not retried as if the chain had moved


def test_a_transaction_that_lost_the_chain_head_is_tried_again_at_the_new_head(
    audit_model: type[AuditRecord], things: type[Thing]
) -> None:
    one, other = (
        AuditRecorder(DynamoAuditStore(audit_model), POLICY, service="test") for _ in "ab"
    )
    one.record("payment.capture", "first", "success", tenant="lost")  # one caches head 1
    other.record("payment.capture", "second", "success", tenant="lost")  # takes seq 2
    calls: list[str] = []
    event = one.record(
        "payment.capture",
        "thing/b",
        "success",
        tenant="lost",
        within=_create_within(things, "b", calls),
    )
    assert (event.seq, calls) == (3, ["b", "b"])
    stream = one.stream("lost", 365)
    events = one.store.read(stream)
    assert verify_events(stream, events).ok
    assert [e.resource for e in events] == ["first", "second", "thing/b"]


def test_a_write_that_landed_but_lost_its_answer_is_not_appended_twice(
    recorder: AuditRecorder,
) -> None:
    calls: list[int] = []

    def lands_then_fails(staged: Staged) -> None:
        calls.append(1)
        assert isinstance(staged, StagedAppend)
        staged.record.save(condition=staged.condition)
        raise ConnectionError("the answer never came back")

    event = recorder.record(
        "payment.capture", "thing/c", "success", tenant="lossy", within=lands_then_fails
    )
    events = recorder.store.read(recorder.stream("lossy", 365))
    assert (calls, [e.hash for e in events]) == ([1], [event.hash])
