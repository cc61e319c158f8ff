"""The DynamoDB round-trip gate: each operation's calls, by service and API, and its
critical-path depth are exactly what ``bench/round_trips.json`` records. More calls fail
(a regression); fewer fail too, until the table is rewritten with the improvement
(``uv run python -m bench.round_trips --write``), so the committed table stays true."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from bench import round_trips
from devtools.emulator import Call

pytestmark = pytest.mark.integration


def _call(
    target: str, body: Mapping[str, Any], arrived: float, done: float, size: int = 100
) -> Call:
    return Call(f"DynamoDB_20120810.{target}", json.dumps(body).encode(), size, arrived, done)


def test_calls_that_overlap_share_a_round_and_units_follow_dynamodbs_rules() -> None:
    get = {"TableName": "lift-rt-banking-accounts", "ConsistentRead": True}
    tx = {"TransactItems": [{"Put": {"TableName": "lift-rt-ecommerce-orders", "Item": {}}}] * 3}
    calls = [
        _call("GetItem", get, 0.0, 1.0),
        _call("GetItem", {"TableName": "lift-rt-banking-ledger"}, 0.5, 1.2, size=5000),
        _call("TransactWriteItems", tx, 1.3, 2.0),
        _call("Query", {"TableName": "lift-rt-healthcare-records"}, 2.0, 2.5),
    ]
    cost = round_trips.cost(calls)
    assert cost.depth == 3  # the two reads ran side by side
    assert cost.calls == {
        "banking:GetItem": 2,
        "ecommerce:TransactWriteItems": 1,
        "healthcare:Query": 1,
    }
    assert (cost.rru, cost.wru) == (1 + 2 * 0.5 + 0.5, 2 * 3)
    assert cost.usd_per_million == pytest.approx(2.5 * 0.125 + 6 * 0.625)
    keys = [{"tenant_id": {"S": "acme"}, "account_id": {"S": f"acc_{n}"}} for n in range(3)]
    batch = {"RequestItems": {"lift-rt-banking-accounts": {"Keys": keys, "ConsistentRead": True}}}
    batched = round_trips.cost([_call("BatchGetItem", batch, 0.0, 1.0, size=900)])
    assert (batched.calls, batched.depth, batched.rru) == ({"banking:BatchGetItem": 1}, 1, 3.0)


def test_every_operation_makes_exactly_the_committed_round_trips() -> None:
    committed = json.loads(round_trips.TABLE.read_text())
    measured = round_trips.run()
    assert set(measured) == set(committed), "an operation was added or removed: --write"
    changed = {
        name: (committed[name], now) for name, now in measured.items() if now != committed[name]
    }
    assert not changed, f"round trips changed (committed, now); rerun with --write: {changed}"
