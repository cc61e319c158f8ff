"""The SAM templates declare exactly the tables each service's code binds: same names, keys,
indexes (keys and projection), TTL attribute and stream. Drift between code and template fails."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import cfn_yaml
from fastapi import FastAPI

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier
from lift_core.events import bus_name, queue_name
from lift_core.events.topology import event_pattern
from lift_mesh import MeshSettings, ServiceClient

from banking.main import create_banking_app
from ecommerce.adapters.banking import BankingPayments
from ecommerce.bootstrap import bootstrap as shop_bootstrap
from ecommerce.main import create_ecommerce_app
from healthcare.adapters.banking import BankingPayments as ClinicPayments
from healthcare.bootstrap import bootstrap as clinic_bootstrap
from healthcare.main import create_healthcare_app

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


class NoTokens:
    async def token(self, tenant: str) -> str:
        raise AssertionError("no call is made here")


def _apps(verifier: JwtVerifier) -> dict[str, Callable[[LiftSettings], FastAPI]]:
    def banking_client() -> ServiceClient:
        return ServiceClient("banking", settings=MeshSettings(services={"banking": ["http://x"]}))

    return {
        "banking": lambda lift: create_banking_app(lift, verifier=verifier),
        "healthcare": lambda lift: create_healthcare_app(
            lift,
            verifier=verifier,
            services=clinic_bootstrap(
                lift=lift, payments=ClinicPayments(banking_client(), NoTokens())
            ),
        ),
        "ecommerce": lambda lift: create_ecommerce_app(
            lift,
            verifier=verifier,
            services=shop_bootstrap(
                lift=lift, payments=BankingPayments(banking_client(), NoTokens())
            ),
        ),
    }


def _shape(keys: Any) -> tuple[tuple[str, str], ...]:
    return tuple((k["AttributeName"], k["KeyType"]) for k in keys)


def _declared(service: str) -> dict[str, dict[str, Any]]:
    template = cfn_yaml.loads((ROOT / "infra/sam" / f"{service}.yaml").read_text())
    tables = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        name = str(props["TableName"]["Fn::Sub"]).removeprefix("lift-${Stage}-")
        tables[name] = {
            "keys": _shape(props["KeySchema"]),
            "indexes": {
                g["IndexName"]: (_shape(g["KeySchema"]), g["Projection"]["ProjectionType"])
                for g in props.get("GlobalSecondaryIndexes", [])
            },
            "ttl": props.get("TimeToLiveSpecification", {}).get("AttributeName"),
            "stream": props.get("StreamSpecification", {}).get("StreamViewType"),
            "pitr": props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            "kms": props["SSESpecification"]["SSEType"],
        }
    return tables


@pytest.mark.parametrize("service", ["banking", "healthcare", "ecommerce"])
def test_templates_declare_the_tables_the_code_binds(
    service: str, db_settings: LiftSettings, verifier: JwtVerifier, dynamodb_endpoint: str
) -> None:
    prefix = f"sam{uuid.uuid4().hex[:8]}-"
    lift = db_settings.model_copy(update={"service_name": service, "table_prefix": prefix})
    _apps(verifier)[service](lift)  # creates every table it binds, from the models
    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1")
    created = {}
    names = [
        name
        for page in client.get_paginator("list_tables").paginate()
        for name in page["TableNames"]
    ]
    for name in names:
        if not name.startswith(prefix):
            continue
        table = client.describe_table(TableName=name)["Table"]
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        created[name.removeprefix(prefix)] = {
            "keys": _shape(table["KeySchema"]),
            "indexes": {
                g["IndexName"]: (_shape(g["KeySchema"]), g["Projection"]["ProjectionType"])
                for g in table.get("GlobalSecondaryIndexes", [])
            },
            "ttl": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None,
            "stream": table.get("StreamSpecification", {}).get("StreamViewType"),
        }
    declared = _declared(service)
    assert sorted(declared) == sorted(created)
    for name, spec in created.items():
        assert {k: declared[name][k] for k in spec} == spec, name
        assert declared[name]["pitr"] is True
        assert declared[name]["kms"] == "KMS"


def _alarm_terms(pattern: str) -> list[tuple[str, str, str]]:
    """The ``$.path op value`` terms of a CloudWatch JSON filter pattern joined by ``&&``."""
    body = pattern.strip().removeprefix("{").removesuffix("}")
    terms = []
    for term in body.split("&&"):
        path, op, value = term.split()
        terms.append((path.removeprefix("$."), op, value.strip('"')))
    return terms


def _matches(line: dict[str, Any], terms: list[tuple[str, str, str]]) -> bool:
    for path, op, value in terms:
        field: Any = line
        for part in path.split("."):
            field = field.get(part) if isinstance(field, dict) else None
        if op == "=" and field != value:
            return False
        if op == ">=" and not (isinstance(field, int) and field >= int(value)):
            return False
    return True


@pytest.mark.parametrize("service", ["banking", "healthcare", "ecommerce"])
async def test_the_5xx_alarm_counts_lift_core_access_lines_of_the_deployed_version_only(
    service: str,
    monkeypatch: pytest.MonkeyPatch,
    verifier: JwtVerifier,
    mint: Callable[..., str],
) -> None:
    """The metric filter reads fields of lift_core's access log: renaming the logger, the
    status field or the version field would blind the canary, and fails here instead."""
    import logging

    import httpx
    from fastapi import APIRouter

    from lift_core import create_app
    from lift_core.config import Environment
    from lift_core.logging import JsonFormatter

    template = cfn_yaml.loads((ROOT / "infra/sam" / f"{service}.yaml").read_text())
    resources = template["Resources"]
    metric_filter = resources["ServerErrors"]["Properties"]
    (transformation,) = metric_filter["MetricTransformations"]
    alarm = resources["ErrorsAlarm"]["Properties"]
    assert alarm["MetricName"] == transformation["MetricName"]
    assert alarm["Namespace"] == transformation["MetricNamespace"]
    assert alarm["Dimensions"] == [
        {"Name": "Version", "Value": {"Fn::GetAtt": ["Function", "Version.Version"]}}
    ]
    latency = resources["LatencyAlarm"]["Properties"]["Dimensions"]
    assert {
        "Name": "ExecutedVersion",
        "Value": {"Fn::GetAtt": ["Function", "Version.Version"]},
    } in latency
    (dimension,) = transformation["Dimensions"]

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    capture = Capture()
    capture.setFormatter(JsonFormatter(service))
    logging.getLogger("lift.access").addHandler(capture)
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @router.get("/fine")
    def fine() -> dict[str, str]:
        return {"ok": "yes"}

    app = create_app(
        settings=LiftSettings(environment=Environment.TEST, service_name=service, access_log=True),
        title=service,
        routers=[router],
        verifier=verifier,
    )
    headers = {"Authorization": f"Bearer {mint('acme', 'alice')}"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://x",
            headers=headers,
        ) as client:
            assert (await client.get("/boom")).status_code == 500
            assert (await client.get("/fine")).status_code == 200
    finally:
        logging.getLogger("lift.access").removeHandler(capture)

    import json

    parsed = [json.loads(line) for line in lines]
    terms = _alarm_terms(metric_filter["FilterPattern"])
    counted = [p for p in parsed if _matches(p, terms)]
    assert [p["http"]["route"] for p in counted] == ["/boom"]
    assert counted[0][dimension["Value"].removeprefix("$.")] == "7"


@pytest.mark.parametrize("service", ["banking", "healthcare", "ecommerce"])
def test_with_cloud_map_each_stack_registers_its_url_where_the_callers_look(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mesh = cfn_yaml.loads((ROOT / "infra/sam/mesh.yaml").read_text())
    namespace = mesh["Resources"]["Namespace"]["Properties"]["Name"]
    template = cfn_yaml.loads((ROOT / "infra/sam" / f"{service}.yaml").read_text())
    resources = template["Resources"]
    discovery = resources["Discovery"]["Properties"]
    assert discovery["Name"] == service  # what ServiceClient(service) asks Cloud Map for
    assert discovery["NamespaceId"] == {
        "Fn::ImportValue": mesh["Outputs"]["NamespaceId"]["Export"]["Name"]
    }
    instance = resources["DiscoveryInstance"]["Properties"]
    assert instance["ServiceId"] == {"Ref": "Discovery"}
    # CloudMapRegistry reads the "url" attribute (tested on the emulator in lift_mesh).
    assert instance["InstanceAttributes"] == {"url": template["Outputs"]["Url"]["Value"]}
    shared = template["Globals"]["Function"].get("Environment", {}).get("Variables", {})

    def variables(function: dict[str, Any]) -> dict[str, Any]:  # as SAM merges Globals
        return {**shared, **function.get("Environment", {}).get("Variables", {})}

    callers = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Serverless::Function"
        and "LIFT_MESH_SERVICES" in variables(r["Properties"])
        and not r["Properties"]["Handler"].endswith(".relay")  # the relay calls no service
    ]
    # The API, the scheduled job and the payments consumer (which may refund through banking).
    assert len(callers) == (0 if service == "banking" else 3)
    for function in callers:
        assert variables(function)["LIFT_MESH_CLOUD_MAP_NAMESPACE"] == {
            "Fn::If": ["CloudMap", namespace, {"Ref": "AWS::NoValue"}]
        }
        (grant,) = [p for p in function["Policies"] if "Fn::If" in p]
        (statement,) = grant["Fn::If"][1]["Statement"]
        assert statement["Action"] == "servicediscovery:DiscoverInstances"
        assert statement["Condition"]["StringEquals"] == {
            "servicediscovery:NamespaceName": namespace
        }
    monkeypatch.setenv("LIFT_MESH_CLOUD_MAP_NAMESPACE", "lift-staging")
    assert MeshSettings().cloud_map_namespace == "lift-staging"  # the variable's name is right


def _sub(value: Any) -> str:
    return str(value["Fn::Sub"]) if isinstance(value, dict) else str(value)


def _resolves(handler: str) -> bool:
    """Whether ``module.name`` is defined at the module's top level (read, not imported: a
    Lambda entry module builds its app when imported)."""
    module, _, name = handler.rpartition(".")
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return False
    tree = ast.parse(Path(spec.origin).read_text())
    defined = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    } | {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    return name in defined


@pytest.mark.parametrize("service", ["banking", "healthcare", "ecommerce"])
def test_the_event_flow_in_each_template_is_the_one_the_code_runs(service: str) -> None:
    """Queues, dead letters, rules and consumer functions come from the code's
    subscriptions; a relay reads the outbox's stream of each service that publishes."""
    template = cfn_yaml.loads((ROOT / "infra/sam" / f"{service}.yaml").read_text())
    resources = template["Resources"]
    subscriptions = importlib.import_module(f"{service}.bootstrap").__dict__.get(
        "SUBSCRIPTIONS", ()
    )
    stage = LiftSettings(table_prefix="lift-${Stage}-")
    queues = {
        _sub(r["Properties"]["QueueName"]): (name, r["Properties"])
        for name, r in resources.items()
        if r["Type"] == "AWS::SQS::Queue"
    }
    functions = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::Serverless::Function"
    ]
    assert all(_resolves(f["Handler"]) for f in functions), [f["Handler"] for f in functions]
    for sub in subscriptions:
        queue_id, queue = queues[queue_name(stage, sub.consumer)]
        assert queue["VisibilityTimeout"] == sub.visibility_timeout_seconds
        assert queue["RedrivePolicy"]["maxReceiveCount"] == sub.max_receives
        dead = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert (
            _sub(resources[dead]["Properties"]["QueueName"])
            == f"{queue_name(stage, sub.consumer)}-dlq"
        )
        (rule,) = [
            r["Properties"]
            for r in resources.values()
            if r["Type"] == "AWS::Events::Rule"
            and r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        ]
        assert _sub(rule["EventBusName"]) == bus_name(stage)
        assert rule["EventPattern"] == event_pattern(sub)
        (consumer,) = [
            f
            for f in functions
            for e in f.get("Events", {}).values()
            if e["Type"] == "SQS" and e["Properties"]["Queue"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        ]
        assert consumer["Events"]["Queue"]["Properties"]["FunctionResponseTypes"] == [
            "ReportBatchItemFailures"
        ]
        # AWS's rule for an SQS event source: the visibility timeout covers six attempts.
        timeout = consumer.get("Timeout", template["Globals"]["Function"]["Timeout"])
        assert sub.visibility_timeout_seconds >= 6 * timeout
    relays = [
        f
        for f in functions
        for e in f.get("Events", {}).values()
        if e["Type"] == "DynamoDB"
        and e["Properties"]["Stream"] == {"Fn::GetAtt": ["Outbox", "StreamArn"]}
    ]
    assert len(relays) == (0 if service == "healthcare" else 1)  # healthcare publishes nothing
    for relay in relays:
        (put,) = [
            s
            for p in relay["Policies"]
            for s in p.get("Statement", [])
            if s["Action"] == "events:PutEvents"
        ]
        assert _sub(put["Resource"]).endswith(f":event-bus/{bus_name(stage)}")
        assert relay["Events"]["Outbox"]["Properties"]["FunctionResponseTypes"] == [
            "ReportBatchItemFailures"
        ]
    mesh = cfn_yaml.loads((ROOT / "infra/sam/mesh.yaml").read_text())
    assert _sub(mesh["Resources"]["Bus"]["Properties"]["Name"]) == bus_name(stage)
