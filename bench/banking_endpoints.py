"""Banking endpoints under concurrent load: ``GET .../balance`` and ``POST /transfers``.

Banking and the dev identity issuer run under uvicorn against the embedded emulator; wrk
drives them (each transfer with a fresh Idempotency-Key). The baseline beside them is the
emulator's own latency for the calls those routes make (GetItem, TransactWriteItems).
Reference target (issue 6): under 50 ms.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import httpx
from devtools.estate import free_port

from bench.harness import ROOT, print_table, save, uvicorn_server, wrk


def run(*, seconds: int = 5, connections: int = 16) -> dict[str, Any]:
    from devtools.emulator import Emulator

    with Emulator() as endpoint, tempfile.TemporaryDirectory() as tmp:
        identity_port = free_port()
        identity = f"http://127.0.0.1:{identity_port}"
        env = {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LIFT_ENVIRONMENT": "test",
            "LIFT_SERVICE_NAME": "banking",
            "LIFT_DYNAMODB_ENDPOINT": endpoint,
            "LIFT_AUTO_CREATE_TABLES": "true",
            "LIFT_TABLE_PREFIX": f"bench{uuid.uuid4().hex[:6]}-",
            "LIFT_JWT_ISSUER": "http://localhost:8000",
            "LIFT_JWKS_URL": f"{identity}/.well-known/jwks.json",
            # One tenant drives all the load: the per-tenant limit is lifted for the run.
            "LIFT_RATE_LIMIT_REQUESTS": "100000000",
            "LIFT_IDENTITY_KEY_PATH": str(Path(tmp) / "key.pem"),
            "LIFT_IDENTITY_PORT": str(identity_port),
        }
        with (
            uvicorn_server("lift_core.devidentity:app_from_environment", env, port=identity_port),
            uvicorn_server("banking.main:app_from_environment", env) as banking,
        ):
            token = httpx.post(
                f"{identity}/token",
                json={"tenant_id": "bench", "subject": "teller", "roles": ["teller"]},
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            accounts = []
            for _ in range(2):
                acc = httpx.post(
                    f"{banking}/api/v1/accounts",
                    headers=auth,
                    json={"type": "checking", "currency": "EUR", "owner": "bench"},
                ).json()
                httpx.post(
                    f"{banking}/api/v1/accounts/{acc['id']}/transactions",
                    headers=auth,
                    json={"kind": "deposit", "amount": 10**11, "currency": "EUR"},
                )
                accounts.append(acc["id"])
            quiet = {
                "balance": wrk(
                    f"{banking}/api/v1/accounts/{accounts[0]}/balance",
                    seconds=seconds,
                    connections=1,
                    headers=auth,
                ),
            }
            balance = wrk(
                f"{banking}/api/v1/accounts/{accounts[0]}/balance",
                seconds=seconds,
                connections=connections,
                headers=auth,
            )
            body = json.dumps(
                {
                    "source_account_id": accounts[0],
                    "destination_account_id": accounts[1],
                    "amount": 1,
                    "currency": "EUR",
                }
            )
            transfers = wrk(
                f"{banking}/api/v1/transfers",
                seconds=seconds,
                connections=connections,
                headers={**auth, "Content-Type": "application/json"},
                script=ROOT / "bench/wrk_post_unique.lua",
                body=body,
            )
            quiet["transfers"] = wrk(
                f"{banking}/api/v1/transfers",
                seconds=seconds,
                connections=1,
                headers={**auth, "Content-Type": "application/json"},
                script=ROOT / "bench/wrk_post_unique.lua",
                body=body,
            )
            baseline = emulator_latency(
                endpoint,
                f"{env['LIFT_TABLE_PREFIX']}banking-accounts",
                {"tenant_id": "bench", "account_id": accounts[0]},
            )
    table = print_table(
        f"Banking endpoints under load (uvicorn 1 worker, wrk -t1 -c{connections}, {seconds}s, "
        "embedded emulator)",
        ["route", "req/s", "p50 ms", "p99 ms", "non-2xx", "baseline: emulator p50 ms"],
        [
            [
                "GET /accounts/{id}/balance, 1 connection",
                f"{quiet['balance']['rps']:,.0f}",
                f"{quiet['balance']['p50_ms']:.1f}",
                f"{quiet['balance']['p99_ms']:.1f}",
                str(quiet["balance"]["errors"]),
                f"GetItem {baseline['get_item_ms']:.1f}",
            ],
            [
                "POST /transfers, 1 connection",
                f"{quiet['transfers']['rps']:,.0f}",
                f"{quiet['transfers']['p50_ms']:.1f}",
                f"{quiet['transfers']['p99_ms']:.1f}",
                str(quiet["transfers"]["errors"]),
                f"TransactWriteItems {baseline['transact_ms']:.1f}",
            ],
            [
                f"GET /accounts/{{id}}/balance, {connections} connections",
                f"{balance['rps']:,.0f}",
                f"{balance['p50_ms']:.1f}",
                f"{balance['p99_ms']:.1f}",
                str(balance["errors"]),
                f"GetItem {baseline['get_item_ms']:.1f}",
            ],
            [
                f"POST /transfers, {connections} connections",
                f"{transfers['rps']:,.0f}",
                f"{transfers['p50_ms']:.1f}",
                f"{transfers['p99_ms']:.1f}",
                str(transfers["errors"]),
                f"TransactWriteItems {baseline['transact_ms']:.1f}",
            ],
        ],
    )
    data = {"balance": balance, "transfers": transfers, "unloaded": quiet, "baseline": baseline}
    save("banking_endpoints", data, table)
    return data


def emulator_latency(endpoint: str, table: str, key: dict[str, str]) -> dict[str, float]:
    """Median GetItem and single-item TransactWriteItems on ``table`` at ``key``."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - the emulator's fake credentials
    )
    item_key = {name: {"S": value} for name, value in key.items()}
    gets, writes = [], []
    for _ in range(200):
        started = time.perf_counter()
        client.get_item(TableName=table, Key=item_key, ConsistentRead=True)
        gets.append(time.perf_counter() - started)
        started = time.perf_counter()
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": item_key,
                        "UpdateExpression": "ADD bench_counter :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
        writes.append(time.perf_counter() - started)
    return {
        "get_item_ms": statistics.median(gets) * 1e3,
        "transact_ms": statistics.median(writes) * 1e3,
    }
