"""The embedded emulator's ``TransactWriteItems`` as its tables grow: moto's own backups
(a deep copy of every table the transaction names) beside the emulator's item-level ones
(devtools/emulator.py), in the same run, on the same in-process moto backend.

Each round fills an audit-like table (with a stream, as the outbox has) to ``size`` items,
then times transactions of one put and one conditional update there. moto's cost grows with
the table; the emulator's should not.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
from devtools import emulator as embedded
from moto.dynamodb.models import DynamoDBBackend

from bench.harness import median, print_table, save

SIZES = (100, 1_000, 5_000)


def _p50_ms(db: Any, table: str, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": uuid.uuid4().hex}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "head"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
        times.append(time.perf_counter() - started)
    return median(times) * 1000


def run(*, transactions: int = 30) -> dict[str, Any]:
    item_level = embedded._transact_with_item_backups
    results: dict[str, dict[int, float]] = {"moto's whole-table copies": {}, "item-level": {}}
    with embedded.Emulator() as endpoint:
        db = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - the emulator's placeholder
        )
        for size in SIZES:
            table = f"bench-{size}"
            db.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            )
            for i in range(size):
                item = {"pk": {"S": f"item-{i}"}, "body": {"S": "x" * 300}}
                db.put_item(TableName=table, Item=item)
            for name, method in (
                ("moto's whole-table copies", embedded._MOTO_TRANSACT),
                ("item-level", item_level),
            ):
                DynamoDBBackend.transact_write_items = method  # type: ignore[assignment,method-assign]
                results[name][size] = _p50_ms(db, table, transactions)
        DynamoDBBackend.transact_write_items = item_level  # type: ignore[assignment,method-assign]
    rows = [[name, *(f"{by_size[s]:.1f}" for s in SIZES)] for name, by_size in results.items()]
    table = print_table(
        f"Emulator TransactWriteItems p50 ms by table size (items), {transactions} each",
        ["backups", *(str(s) for s in SIZES)],
        rows,
    )
    data = {"p50_ms": {k: {str(s): v for s, v in d.items()} for k, d in results.items()}}
    save("emulator_transactions", data, table)
    return data


if __name__ == "__main__":
    run()
