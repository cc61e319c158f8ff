"""The secrets-at-rest scan finds what it must (and not generated hex), so a suite that leaves
a card number, an SSN or a canary anywhere in a table fails."""

from __future__ import annotations

import uuid

import boto3
import pytest
from tests.secrets_scan import stored_findings

pytestmark = [pytest.mark.integration]


@pytest.mark.parametrize(
    ("attribute", "found"),
    [
        ({"S": "ref 4111 1111 1111 1111"}, ["pan"]),
        ({"B": b'{"reference": "ssn 123-45-6789"}'}, ["ssn"]),  # a stored response body
        ({"M": {"ship_to": {"S": "Canary Street 7"}}}, ["restricted"]),
        ({"L": [{"S": "x"}, {"SS": ["4012888888881881"]}]}, ["pan"]),
        ({"S": "trf_4111111111111111a0b1c2d3e4f5a6b7"}, []),  # a generated hex id
        ({"S": "v1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="}, []),  # ciphertext
        ({"S": "order 4111111111111112"}, []),  # fails Luhn
    ],
)
def test_the_scan_finds_protected_values_in_any_attribute(
    dynamodb_endpoint: str, attribute: dict[str, object], found: list[str]
) -> None:
    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1")
    table = f"scan-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        client.put_item(TableName=table, Item={"pk": {"S": "k"}, "value": attribute})
        leaks = stored_findings(client, table, canaries=["Canary Street 7"])
    finally:
        client.delete_table(TableName=table)
    assert leaks == ([f"{table}.value: {found}"] if found else [])
