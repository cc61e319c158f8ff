"""``GET /records/{id}?purpose=treatment`` under concurrent load: every request resolves the
clinician's provider, checks relationship, consent and break-glass, decrypts the content
(data key cached) and appends one audit event plus one disclosure.

Identity, banking (unused here) and healthcare run under uvicorn against the embedded
emulator; wrk drives the reads. The baseline beside them is the emulator's own GetItem
latency, since each read makes about ten emulator calls. Reference target (issue 7): under
100 ms.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
from devtools.estate import free_port

from bench.banking_endpoints import emulator_latency
from bench.harness import print_table, save, uvicorn_server, wrk


def run(*, seconds: int = 5, connections: int = 16) -> dict[str, Any]:
    from devtools.emulator import Emulator

    with Emulator() as endpoint, tempfile.TemporaryDirectory() as tmp:
        identity_port = free_port()
        identity = f"http://127.0.0.1:{identity_port}"
        prefix = f"bench{uuid.uuid4().hex[:6]}-"
        env = {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LIFT_ENVIRONMENT": "test",
            "LIFT_SERVICE_NAME": "healthcare",
            "LIFT_DYNAMODB_ENDPOINT": endpoint,
            "LIFT_AUTO_CREATE_TABLES": "true",
            "LIFT_TABLE_PREFIX": prefix,
            "LIFT_JWT_ISSUER": "http://localhost:8000",
            "LIFT_JWKS_URL": f"{identity}/.well-known/jwks.json",
            "LIFT_RATE_LIMIT_REQUESTS": "100000000",
            "LIFT_IDENTITY_KEY_PATH": str(Path(tmp) / "key.pem"),
            "LIFT_IDENTITY_PORT": str(identity_port),
            "HEALTHCARE_BILLING_RETRY_INTERVAL_SECONDS": "0",
        }
        with (
            uvicorn_server("lift_core.devidentity:app_from_environment", env, port=identity_port),
            uvicorn_server("healthcare.main:app_from_environment", env) as care,
        ):

            def token(subject: str, role: str) -> str:
                body = {"tenant_id": "bench", "subject": subject, "roles": [role]}
                return str(httpx.post(f"{identity}/token", json=body).json()["access_token"])

            admin = {"Authorization": f"Bearer {token('ada', 'admin')}"}
            doctor = {"Authorization": f"Bearer {token('dr-bench', 'clinician')}"}
            provider = httpx.post(
                f"{care}/api/v1/providers",
                headers=admin,
                json={
                    "npi": "1234567893",
                    "name": "Dr Bench",
                    "kind": "clinician",
                    "subject": "dr-bench",
                },
            ).json()["id"]
            patient = httpx.post(
                f"{care}/api/v1/patients",
                headers=admin,
                json={"mrn": "MRN-BENCH", "name": "Bench Patient", "date_of_birth": "1970-01-01"},
            ).json()["id"]
            httpx.post(
                f"{care}/api/v1/encounters",
                headers=admin,
                json={"patient_id": patient, "provider_id": provider},
            ).raise_for_status()
            record = httpx.post(
                f"{care}/api/v1/records",
                headers=doctor,
                json={"patient_id": patient, "kind": "note", "content": "x" * 2_000},
            ).json()["id"]
            url = f"{care}/api/v1/records/{record}?purpose=treatment"
            one = wrk(url, seconds=seconds, connections=1, headers=doctor)
            many = wrk(url, seconds=seconds, connections=connections, headers=doctor)
            baseline = emulator_latency(
                endpoint,
                f"{prefix}healthcare-patients",
                {"tenant_id": "bench", "patient_id": patient},
            )
    rows = [
        ("GET /records/{id}, 1 connection", one),
        (f"GET /records/{{id}}, {connections} connections", many),
    ]
    table = print_table(
        "Healthcare record reads with decrypt and audit (uvicorn 1 worker, wrk -t1, "
        f"{seconds}s, embedded emulator)",
        ["route", "req/s", "p50 ms", "p99 ms", "non-2xx", "baseline: emulator GetItem p50 ms"],
        [
            [
                name,
                f"{r['rps']:,.0f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                str(r["errors"]),
                f"{baseline['get_item_ms']:.1f}",
            ]
            for name, r in rows
        ],
    )
    data = {"one": one, "many": many, "baseline": baseline}
    save("healthcare_records", data, table)
    return data
