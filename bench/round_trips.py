"""DynamoDB round trips per operation, counted at the emulator: every call each operation
makes (by API and by the service whose table it names), the critical-path depth (calls that
had to wait for the one before), the request units they would consume and what a million
such operations cost on demand.

The estate is the embedded one (``devtools.estate``'s environment, ``devtools.seed``'s demo
data), every service under uvicorn; each operation runs once to warm caches and tokens,
then once counted. Counts are exact, so ``tests/bench/test_round_trips.py`` gates them
against ``bench/round_trips.json``: a count that changes fails until the file is rewritten
(``uv run python -m bench.round_trips --write``).

Request units are estimated from the sizes the emulator saw, by DynamoDB's rules: a read
is 1 unit per 4 KB (half when eventually consistent), a write 1 per 1 KB per item, twice
that inside a transaction. Prices: us-east-1 on-demand, standard table class, after the
November 2024 reduction.
"""

from __future__ import annotations

import argparse
import json
import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from devtools.emulator import Call, Emulator
from devtools.estate import BUILT_IN, free_port
from devtools.seed import Demo, seed, token

from bench.harness import ROOT, print_table, uvicorn_server

TABLE = ROOT / "bench" / "round_trips.json"
USD_PER_MILLION_WRU = 0.625
USD_PER_MILLION_RRU = 0.125
PREFIX = "lift-rt-"
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@dataclass(frozen=True)
class Cost:
    calls: Counter[str]  # "service:Api" -> count
    depth: int
    rru: float
    wru: float

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def usd_per_million(self) -> float:
        return self.rru * USD_PER_MILLION_RRU + self.wru * USD_PER_MILLION_WRU


def _tables(api: str, body: dict[str, Any]) -> list[str]:
    if api in ("TransactWriteItems", "TransactGetItems"):
        return [next(iter(item.values()))["TableName"] for item in body.get("TransactItems", [])]
    if api in ("BatchGetItem", "BatchWriteItem"):
        return list(body.get("RequestItems", {}))
    return [body["TableName"]] if "TableName" in body else []


def _service(table: str) -> str:
    name = table.removeprefix(PREFIX)
    return next((s for s in (*BUILT_IN, "identity") if name.startswith(s)), name.split("-")[0])


def _units(api: str, call: Call, body: dict[str, Any]) -> tuple[float, float]:
    """(read units, write units) by DynamoDB's item-size rules, from the sizes seen."""
    if api == "BatchGetItem":  # each item is a read of its own, rounded up to 4 KB
        requests = body.get("RequestItems", {}).values()
        keys = sum(len(r.get("Keys", [])) for r in requests)
        factor = 1.0 if all(r.get("ConsistentRead") for r in requests) else 0.5
        per_item = max(1, math.ceil(call.response_bytes / max(keys, 1) / 4096))
        return keys * per_item * factor, 0.0
    if api in READS:
        factor = 2.0 if api == "TransactGetItems" else (1.0 if body.get("ConsistentRead") else 0.5)
        return max(1, math.ceil(call.response_bytes / 4096)) * factor, 0.0
    if api == "TransactWriteItems":
        items = body.get("TransactItems", [])
        per = [max(1, math.ceil(len(json.dumps(i)) / 1024)) for i in items]
        return 0.0, 2.0 * sum(per)
    if api in WRITES:
        return 0.0, float(max(1, math.ceil(len(call.request) / 1024)))
    return 0.0, 0.0  # control plane (DescribeTable, ...): not billed per request


def _depth(calls: list[Call]) -> int:
    """Rounds on the critical path: a call that arrived before the calls of the current
    round had all finished ran beside them."""
    rounds, round_end = 0, -1.0
    for call in sorted(calls, key=lambda c: c.arrived):
        if call.arrived >= round_end:
            rounds += 1
            round_end = call.done
        else:
            round_end = max(round_end, call.done)
    return rounds


def cost(calls: list[Call]) -> Cost:
    counted: Counter[str] = Counter()
    rru = wru = 0.0
    for call in calls:
        api = call.target.rsplit(".", 1)[-1]
        if not call.target.startswith("DynamoDB"):
            counted[f"other:{call.target or 'non-DynamoDB'}"] += 1
            continue
        body = json.loads(call.request or b"{}")
        services = sorted({_service(t) for t in _tables(api, body)}) or ["?"]
        counted[f"{'+'.join(services)}:{api}"] += 1
        reads, writes = _units(api, call, body)
        rru, wru = rru + reads, wru + writes
    return Cost(counted, _depth(calls), rru, wru)


def _describe(call: Call) -> str:
    """One call as ``Api table key`` (key values shortened), for ``--explain``."""
    api = call.target.rsplit(".", 1)[-1]
    body = json.loads(call.request or b"{}")
    keys = body.get("Key") or body.get("ExpressionAttributeValues") or {}
    shown = " ".join(f"{k}={str(next(iter(v.values())))[:24]}" for k, v in keys.items())
    return f"{api:<18} {','.join(t.removeprefix(PREFIX) for t in _tables(api, body))} {shown}"


def _env(endpoint: str, identity_port: int, banking_port: int) -> dict[str, str]:
    from devtools.estate import _env as estate_env

    args = argparse.Namespace(identity_port=identity_port, banking_port=banking_port)
    env = estate_env(args, endpoint, "x")
    env.pop("LIFT_SERVICE_NAME")
    # No background job may call the emulator while an operation is counted: the event
    # relay and consumers are asynchronous work after the operation, not its round trips
    # (an event it publishes is one more item of its transaction, and is counted there).
    quiet = {
        "ECOMMERCE_RECOVERY_INTERVAL_SECONDS": "86400",
        "HEALTHCARE_BILLING_RETRY_INTERVAL_SECONDS": "86400",
        "LIFT_EVENTS_LOCAL": "false",
    }
    return {**env, **quiet, "LIFT_TABLE_PREFIX": PREFIX, "LIFT_ENVIRONMENT": "dev"}


Operation = Callable[[], httpx.Response]


def _operations(
    identity: str, urls: dict[str, str], demo: Demo
) -> Iterator[tuple[str, Operation, Operation]]:
    """(name, prepare, operation): ``prepare`` runs uncounted before each counted call."""
    bank, shop, care = urls["banking"], urls["ecommerce"], urls["healthcare"]
    alice, bob, merchant, _ = demo.accounts["acme"]

    def bearer(subject: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(identity, 'acme', subject, [role])}"}

    customer, service = bearer("alice", "customer"), bearer("ecommerce", "service")
    doctor, admin = bearer("dr-grey", "clinician"), bearer("ada", "admin")
    nothing: Operation = lambda: httpx.Response(204)  # noqa: E731

    def keyed(headers: dict[str, str]) -> dict[str, str]:
        return {**headers, "Idempotency-Key": uuid.uuid4().hex}

    transfer = {
        "source_account_id": alice,
        "destination_account_id": bob,
        "amount": 100,
        "currency": "EUR",
    }
    yield (
        "banking POST /transfers",
        nothing,
        lambda: httpx.post(f"{bank}/api/v1/transfers", json=transfer, headers=keyed(customer)),
    )
    payment = {
        "payer_account_id": alice,
        "merchant_account_id": merchant,
        "amount": 100,
        "currency": "EUR",
    }
    yield (
        "banking POST /payments",
        nothing,
        lambda: httpx.post(f"{bank}/api/v1/payments", json=payment, headers=keyed(service)),
    )
    yield (
        "banking GET /accounts/{id}/balance",
        nothing,
        lambda: httpx.get(f"{bank}/api/v1/accounts/{alice}/balance", headers=customer),
    )
    item = {"product_id": demo.products["TEA-042"], "quantity": 1}
    add = lambda: httpx.post(f"{shop}/api/v1/cart/items", json=item, headers=customer)  # noqa: E731
    yield "e-commerce POST /cart/items", nothing, add
    yield (
        "e-commerce POST /cart/checkout",
        add,
        lambda: httpx.post(f"{shop}/api/v1/cart/checkout", headers=keyed(customer), timeout=30),
    )
    record = demo.patients["record"]
    yield (
        "healthcare GET /records/{id}?purpose=treatment",
        nothing,
        lambda: httpx.get(f"{care}/api/v1/records/{record}?purpose=treatment", headers=doctor),
    )
    provider = httpx.get(f"{care}/api/v1/providers", headers=admin).json()["items"][0]["id"]
    encounters: list[str] = []

    def encounter() -> httpx.Response:
        made = httpx.post(
            f"{care}/api/v1/encounters",
            json={"patient_id": demo.patients["alice"], "provider_id": provider},
            headers=admin,
        )
        encounters.append(made.json()["id"])
        return made

    yield (
        "healthcare POST /encounters/{id}/invoice",
        encounter,
        lambda: httpx.post(
            f"{care}/api/v1/encounters/{encounters[-1]}/invoice",
            json={"amount": 100},
            headers=admin,
            timeout=30,
        ),
    )


def run(write: bool = False, explain: bool = False) -> dict[str, Any]:
    emulator = Emulator()
    endpoint = emulator.start()
    identity_port, banking_port = free_port(), free_port()
    env = _env(endpoint, identity_port, banking_port)
    costs: dict[str, Cost] = {}
    try:
        with (
            uvicorn_server(
                "lift_core.devidentity:app_from_environment",
                {**env, "LIFT_SERVICE_NAME": "identity"},
                port=identity_port,
            ) as identity,
            uvicorn_server(
                "banking.main:app_from_environment",
                {**env, "LIFT_SERVICE_NAME": "banking"},
                port=banking_port,
            ) as banking,
            uvicorn_server(
                "healthcare.main:app_from_environment", {**env, "LIFT_SERVICE_NAME": "healthcare"}
            ) as healthcare,
            uvicorn_server(
                "ecommerce.main:app_from_environment", {**env, "LIFT_SERVICE_NAME": "ecommerce"}
            ) as ecommerce,
        ):
            urls = {"banking": banking, "healthcare": healthcare, "ecommerce": ecommerce}
            demo = seed(identity, urls)
            for name, prepare, operation in _operations(identity, urls, demo):
                for counted in (False, True):  # the first warms caches, tokens and keys
                    prepared = prepare()
                    assert prepared.status_code < 300, f"{name}: {prepared.text}"
                    with emulator.recording() as calls:
                        answer = operation()
                    assert answer.status_code < 300, f"{name}: {answer.status_code} {answer.text}"
                    if counted:
                        costs[name] = cost(calls)
                        if explain:
                            print(f"{name}:", *(f"  {_describe(c)}" for c in calls), sep="\n")
    finally:
        emulator.stop()
    _print(costs)
    result = {
        name: {"calls": c.total, "depth": c.depth, "by_api": dict(sorted(c.calls.items()))}
        for name, c in costs.items()
    }
    if write:
        TABLE.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _print(costs: dict[str, Cost]) -> None:
    committed = json.loads(TABLE.read_text()) if TABLE.exists() else {}
    rows = []
    for name, c in costs.items():
        before = committed.get(name, {})
        rows.append(
            [
                name,
                f"{c.total} ({before.get('calls', '-')})",
                f"{c.depth} ({before.get('depth', '-')})",
                ", ".join(f"{k} {v}" for k, v in sorted(c.calls.items())),
                f"{c.rru:g}",
                f"{c.wru:g}",
                f"{c.usd_per_million:.2f}",
            ]
        )
    print_table(
        "DynamoDB round trips per operation (committed in parentheses)",
        ["operation", "calls", "depth", "by service and API", "RRU", "WRU", "$ / million ops"],
        rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.round_trips")
    parser.add_argument("--write", action="store_true", help=f"record the counts in {TABLE.name}")
    parser.add_argument("--explain", action="store_true", help="print each operation's calls")
    arguments = parser.parse_args()
    run(write=arguments.write, explain=arguments.explain)
