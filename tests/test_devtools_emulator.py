"""The embedded emulator's transactions: all or nothing, stream included, with item-level
backups instead of moto's whole-table copies (devtools/emulator.py)."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.integration


def _stream_records(endpoint: str, arn: str) -> int:
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=it["ShardIterator"], Limit=1000)["Records"])


def test_a_cancelled_transaction_changes_no_item_and_no_stream_record(
    dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    db = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1")
    table = f"emulator-tx-{uuid.uuid4().hex[:8]}"
    created = db.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    arn = created["TableDescription"]["LatestStreamArn"]
    db.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    db.put_item(TableName=table, Item={"pk": {"S": "b"}, "v": {"N": "1"}})

    def transact(*, new: str) -> Any:
        return db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "a"}},
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {"pk": {"S": new}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "b"}, "v": {"N": "9"}},
                        "ConditionExpression": "attribute_not_exists(pk)",  # b exists: refused
                    }
                },
            ]
        )

    before = _stream_records(dynamodb_endpoint, arn)
    with pytest.raises(db.exceptions.TransactionCanceledException) as refused:
        transact(new="c")
    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert db.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]["v"] == {"N": "1"}
    assert db.get_item(TableName=table, Key={"pk": {"S": "b"}})["Item"]["v"] == {"N": "1"}
    assert "Item" not in db.get_item(TableName=table, Key={"pk": {"S": "c"}})
    assert _stream_records(dynamodb_endpoint, arn) == before  # nothing to relay either

    db.delete_item(TableName=table, Key={"pk": {"S": "b"}})
    after_delete = _stream_records(dynamodb_endpoint, arn)
    transact(new="c")
    assert db.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]["v"] == {"N": "2"}
    assert db.get_item(TableName=table, Key={"pk": {"S": "c"}})["Item"] == {"pk": {"S": "c"}}
    assert db.get_item(TableName=table, Key={"pk": {"S": "b"}})["Item"]["v"] == {"N": "9"}
    assert _stream_records(dynamodb_endpoint, arn) == after_delete + 3
