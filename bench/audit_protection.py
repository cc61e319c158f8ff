"""Audit appends and verification, field encryption: each beside a baseline in the same run.

Runs against the embedded emulator (moto in-process, requests serialized), so absolute
figures are the emulator's; the baselines (a plain PutItem of the same item, raw AES-GCM)
put them in proportion.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from typing import Any

import boto3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lift_core import LiftSettings
from lift_core.audit import (
    ActionRule,
    AuditPolicy,
    AuditRecord,
    AuditRecorder,
    DynamoAuditStore,
    verify_events,
)
from lift_core.config import Environment
from lift_core.dynamo import bind_model, ensure_tables
from lift_core.protection import DataKeyRecord, EnvelopeCipher

from bench.harness import print_table, save

POLICY = AuditPolicy({}, default=ActionRule(("PCI DSS 10.2",), retention_days=365))


def _pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] if len(samples) > 1 else samples[0]


def run(*, appends: int = 400, threads: int = 8) -> dict[str, Any]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per emulator call

    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = LiftSettings(
        environment=Environment.TEST,
        dynamodb_endpoint=f"http://{host}:{port}",
        table_prefix=f"bench{uuid.uuid4().hex[:6]}-",
    )
    try:
        return _measure(settings, f"http://{host}:{port}", appends, threads)
    finally:
        server.stop()


def _measure(settings: LiftSettings, endpoint: str, appends: int, threads: int) -> dict[str, Any]:
    model = bind_model(AuditRecord, settings, "audit")
    ensure_tables([model], settings)
    recorder = AuditRecorder(DynamoAuditStore(model), POLICY, service="bench")
    details = {"amount": 1250, "currency": "EUR", "ref": "pay_123"}

    # Baseline: an unconditional PutItem of an item of the same shape.
    template = recorder.record("payment.capture", "payment/0", "success", details, tenant="base")
    raw_item = recorder.store._to_record(template)
    baseline = []
    for i in range(appends):
        raw_item.seq = 10_000 + i
        started = time.perf_counter()
        raw_item.save()
        baseline.append(time.perf_counter() - started)

    one = []
    started_all = time.perf_counter()
    for i in range(appends):
        started = time.perf_counter()
        recorder.record("payment.capture", f"payment/{i}", "success", details, tenant="one")
        one.append(time.perf_counter() - started)
    one_rate = appends / (time.perf_counter() - started_all)

    def many(tenant_of: Any) -> float:
        per_thread = appends // threads

        def work(n: int) -> None:
            own = AuditRecorder(DynamoAuditStore(model), POLICY, service="bench")
            for i in range(per_thread):
                own.record("payment.capture", f"p/{i}", "success", details, tenant=tenant_of(n))

        pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        started = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return per_thread * threads / (time.perf_counter() - started)

    many_streams_rate = many(lambda n: f"tenant{n}")
    contended_rate = many(lambda n: "shared")

    stream = recorder.stream("one", 365)
    started = time.perf_counter()
    events = recorder.store.read(stream)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    assert verify_events(stream, events).ok
    verify_s = time.perf_counter() - started

    crypto = _crypto(settings, endpoint)
    return _report(
        appends,
        threads,
        baseline,
        one,
        one_rate,
        many_streams_rate,
        contended_rate,
        len(events),
        read_s,
        verify_s,
        crypto,
    )


def _crypto(settings: LiftSettings, endpoint: str) -> dict[str, float]:
    kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1")
    keys = bind_model(DataKeyRecord, settings, "keys")
    ensure_tables([keys], settings)
    cipher = EnvelopeCipher(
        keys, kms_client=kms, kms_key_id=kms.create_key()["KeyMetadata"]["KeyId"]
    )
    token = cipher.encrypt("acme", "p1", "ssn", "123-45-6789")  # creates and caches the key
    n = 5000
    started = time.perf_counter()
    for _ in range(n):
        cipher.encrypt("acme", "p1", "ssn", "123-45-6789")
    enc_us = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    for _ in range(n):
        cipher.decrypt("acme", "p1", "ssn", token)
    dec_us = (time.perf_counter() - started) / n * 1e6
    aes = AESGCM(os.urandom(32))
    started = time.perf_counter()
    for _ in range(n):
        nonce = os.urandom(12)
        sealed = aes.encrypt(nonce, b"123-45-6789", b"acme|p1|ssn")
    raw_us = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    for _ in range(n):
        aes.decrypt(nonce, sealed, b"acme|p1|ssn")
    raw_dec_us = (time.perf_counter() - started) / n * 1e6
    cold = EnvelopeCipher(keys, kms_client=kms, kms_key_id=cipher.kms_key_id)
    started = time.perf_counter()
    for _ in range(50):
        cold.decrypt("acme", "p1", "ssn", token)
        cold._keys.clear()  # every decrypt pays the key fetch and unwrap
    cold_ms = (time.perf_counter() - started) / 50 * 1e3
    return {
        "enc_us": enc_us,
        "dec_us": dec_us,
        "raw_us": raw_us,
        "raw_dec_us": raw_dec_us,
        "cold_ms": cold_ms,
    }


def _report(  # noqa: PLR0917 - the figures of one run, laid out once
    appends: int,
    threads: int,
    baseline: list[float],
    one: list[float],
    one_rate: float,
    many_streams_rate: float,
    contended_rate: float,
    n_events: int,
    read_s: float,
    verify_s: float,
    crypto: dict[str, float],
) -> dict[str, Any]:
    enc_us, dec_us, raw_us = crypto["enc_us"], crypto["dec_us"], crypto["raw_us"]
    raw_dec_us, cold_ms = crypto["raw_dec_us"], crypto["cold_ms"]
    ms = 1e3
    table = print_table(
        f"Audit trail and data protection (moto in-process, {appends} appends, {threads} threads)",
        ["what", "baseline", "Lift"],
        [
            [
                "append p50 / p99 ms (one stream)",
                f"PutItem {statistics.median(baseline) * ms:.2f} / {_pct(baseline, 99) * ms:.2f}",
                f"{statistics.median(one) * ms:.2f} / {_pct(one, 99) * ms:.2f}",
            ],
            [
                "appends/s, one writer, one stream",
                f"{1 / statistics.mean(baseline):,.0f} PutItem/s",
                f"{one_rate:,.0f}",
            ],
            [f"appends/s, {threads} writers, {threads} streams", "", f"{many_streams_rate:,.0f}"],
            [
                f"appends/s, {threads} writers (separate stores), one stream",
                "",
                f"{contended_rate:,.0f}",
            ],
            ["verify (in memory) events/s", "", f"{n_events / verify_s:,.0f}"],
            ["read + verify events/s", "", f"{n_events / (read_s + verify_s):,.0f}"],
            ["encrypt one field, key cached (us)", f"raw AES-GCM {raw_us:.1f}", f"{enc_us:.1f}"],
            [
                "decrypt one field, key cached (us)",
                f"raw AES-GCM {raw_dec_us:.1f}",
                f"{dec_us:.1f}",
            ],
            ["decrypt, key not cached (ms: DynamoDB get + KMS decrypt)", "", f"{cold_ms:.2f}"],
        ],
    )
    data = {
        "append_p50_s": statistics.median(one),
        "append_p99_s": _pct(one, 99),
        "putitem_p50_s": statistics.median(baseline),
        "one_stream_rate": one_rate,
        "many_streams_rate": many_streams_rate,
        "contended_rate": contended_rate,
        "verify_events_per_s": n_events / verify_s,
        "encrypt_us": enc_us,
        "decrypt_us": dec_us,
        "raw_aes_us": raw_us,
        "cold_decrypt_ms": cold_ms,
    }
    save("audit_protection", data, table)
    return data
