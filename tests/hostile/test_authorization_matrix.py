"""Object-level authorization, generated from each service's OpenAPI document: every
operation whose path names an object is called on an object that customer A of tenant acme
owns, by (1) tenant globex holding every role the service knows and (2) another customer of
acme. Both must get 403 or 404 and change nothing in any service's tables; never a 2xx.

A route added tomorrow is attacked without editing this file: its path parameters are filled
from the objects seeded below (a parameter nobody seeded fails the test, naming it). Routes
whose objects are the tenant's on purpose declare it in OpenAPI: ``x-lift-access: tenant``
(the catalogue, the provider directory: readable by any customer of the tenant, still
invisible to other tenants) or ``caller`` (the path names no stored object).

The same world also serves a second generated attack: one object named in every ``*_id``
field of a body (a transfer or a payment to itself).
"""

from __future__ import annotations

import re
import uuid
import warnings
from typing import Any

import boto3
import pytest
import schemathesis
from hypothesis.errors import NonInteractiveExampleWarning
from schemathesis import GenerationMode
from schemathesis.core.result import Err
from starlette.testclient import TestClient
from tests.inprocess import SERVICES, Estate

pytestmark = [pytest.mark.integration]

TENANT, OTHER_TENANT = "acme", "globex"
OWNER = f"owner-{uuid.uuid4().hex[:6]}"
SAME_TENANT_ROLE = {"banking": "customer", "healthcare": "patient", "ecommerce": "customer"}
EVERY_ROLE = {
    "banking": ["admin", "teller", "customer", "auditor"],
    "healthcare": ["admin", "clinician", "billing", "auditor"],
    "ecommerce": ["admin", "customer", "auditor"],
}
# Tables whose writes a refused request is expected to make: the audit trail records the
# refusal, the accounting of disclosures records a denied PHI read, limits and keys move.
RECORDING_TABLES = ("-audit", "-idempotency", "-ratelimit", "-keys", "-disclosures")


def _npi() -> str:
    body = f"{uuid.uuid4().int % 10**9:09d}"
    total = 0
    for i, char in enumerate(reversed("80840" + body)):
        d = int(char)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


class World:
    """Objects owned by OWNER in tenant acme, made through the APIs as users make them."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.clients = {
            s: TestClient(estate.apps[s], raise_server_exceptions=False) for s in SERVICES
        }
        self.ids: dict[str, dict[str, str]] = {s: {"framework": "soc2"} for s in SERVICES}

    def call(
        self,
        service: str,
        subject: str,
        roles: list[str],
        method: str,
        path: str,
        *,
        tenant: str = TENANT,
        **kwargs: Any,
    ) -> Any:
        token = self.estate.mint(tenant, subject, roles=roles)
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return self.clients[service].request(method, path, headers=headers, **kwargs)

    def ok(
        self, service: str, subject: str, roles: list[str], method: str, path: str, **kwargs: Any
    ) -> dict[str, Any]:
        response = self.call(service, subject, roles, method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.text)
        return response.json() if response.content else {}

    def seed(self) -> None:
        bank = "banking"
        key = {"Idempotency-Key": uuid.uuid4().hex}
        own = self.ok(
            bank,
            OWNER,
            ["customer"],
            "POST",
            "/api/v1/accounts",
            json={"type": "checking", "currency": "EUR"},
        )["id"]
        spare = self.ok(
            bank,
            OWNER,
            ["customer"],
            "POST",
            "/api/v1/accounts",
            json={"type": "savings", "currency": "EUR"},
        )["id"]
        self.ok(
            bank,
            "tina",
            ["teller"],
            "POST",
            f"/api/v1/accounts/{own}/transactions",
            json={"kind": "deposit", "amount": 100_000, "currency": "EUR"},
        )
        merchant = self.ok(
            bank,
            "tina",
            ["teller"],
            "POST",
            "/api/v1/accounts",
            json={"type": "merchant", "currency": "EUR", "owner": "merchant-m"},
        )["id"]
        self.ok(
            bank,
            OWNER,
            ["customer"],
            "PUT",
            f"/api/v1/accounts/{own}/mandates/{merchant}",
            json={"max_amount": 50_000, "currency": "EUR"},
        )
        transfer = self.ok(
            bank,
            OWNER,
            ["customer"],
            "POST",
            "/api/v1/transfers",
            headers=key,
            json={
                "source_account_id": own,
                "destination_account_id": spare,
                "amount": 100,
                "currency": "EUR",
            },
        )["id"]
        payment = self.ok(
            bank,
            "merchant-m",
            ["customer"],
            "POST",
            "/api/v1/payments",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "payer_account_id": own,
                "merchant_account_id": merchant,
                "amount": 100,
                "currency": "EUR",
            },
        )["id"]
        self.ids[bank] |= {
            "account_id": own,
            "merchant_account_id": merchant,
            "transfer_id": transfer,
            "payment_id": payment,
        }

        care = "healthcare"
        admin = ("ada", ["admin"])
        self.ok(
            care,
            *admin,
            "PUT",
            "/api/v1/clinic",
            json={"merchant_account_id": merchant, "currency": "EUR"},
        )
        patient = self.ok(
            care,
            *admin,
            "POST",
            "/api/v1/patients",
            json={
                "mrn": f"MRN-{uuid.uuid4().hex[:8].upper()}",
                "name": "Owner A",
                "date_of_birth": "1980-01-01",
                "subject": OWNER,
            },
        )["id"]
        self.ok(
            care,
            OWNER,
            ["patient"],
            "PUT",
            f"/api/v1/patients/{patient}/bank-account",
            json={"bank_account_id": own},
        )
        doctor = f"dr-{uuid.uuid4().hex[:6]}"
        provider = self.ok(
            care,
            *admin,
            "POST",
            "/api/v1/providers",
            json={"npi": _npi(), "name": "Dr A", "kind": "clinician", "subject": doctor},
        )["id"]
        encounter = self.ok(
            care,
            *admin,
            "POST",
            "/api/v1/encounters",
            json={"patient_id": patient, "provider_id": provider},
        )["id"]
        record = self.ok(
            care,
            doctor,
            ["clinician"],
            "POST",
            "/api/v1/records",
            json={"patient_id": patient, "kind": "note", "content": "stable"},
        )["id"]
        invoice = self.ok(
            care, *admin, "POST", f"/api/v1/encounters/{encounter}/invoice", json={"amount": 100}
        )["id"]
        self.ids[care] |= {
            "patient_id": patient,
            "provider_id": provider,
            "encounter_id": encounter,
            "record_id": record,
            "invoice_id": invoice,
        }

        shop = "ecommerce"
        self.ok(
            shop,
            *admin,
            "PUT",
            "/api/v1/store",
            json={
                "merchant_account_id": merchant,
                "currency": "EUR",
                "tax_rate_bp": 0,
                "shipping_fee": 0,
            },
        )
        product = self.ok(
            shop,
            *admin,
            "POST",
            "/api/v1/products",
            json={
                "sku": f"SKU-{uuid.uuid4().hex[:6].upper()}",
                "name": "Mug",
                "category": "kitchen",
                "price": 100,
                "currency": "EUR",
                "status": "active",
                "quantity": 100,
            },
        )["id"]
        customer = self.ok(
            shop,
            OWNER,
            ["customer"],
            "POST",
            "/api/v1/customers",
            json={
                "bank_account_id": own,
                "name": "Owner A",
                "email": "a@example.com",
                "address": "1 Main Street",
            },
        )["id"]
        self.ok(
            shop,
            OWNER,
            ["customer"],
            "POST",
            "/api/v1/cart/items",
            json={"product_id": product, "quantity": 1},
        )
        order = self.ok(
            shop,
            OWNER,
            ["customer"],
            "POST",
            "/api/v1/cart/checkout",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )["id"]
        item = self.ok(
            shop,
            OWNER,
            ["customer"],
            "POST",
            "/api/v1/cart/items",
            json={"product_id": product, "quantity": 1},
        )
        self.ids[shop] |= {
            "product_id": product,
            "customer_id": customer,
            "order_id": order,
            "item_id": item["items"][0]["item_id"],
        }

    def snapshot(self) -> dict[str, list[Any]]:
        """Every item of every business table of the estate."""
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.estate.dynamodb_endpoint,
            region_name="us-east-1",
        )
        prefixes = tuple(self.estate.prefixes.values())
        tables = [
            t
            for page in client.get_paginator("list_tables").paginate()
            for t in page["TableNames"]
            if t.startswith(prefixes) and not t.endswith(RECORDING_TABLES)
        ]
        return {
            t: sorted(
                (
                    item
                    for page in client.get_paginator("scan").paginate(TableName=t)
                    for item in page["Items"]
                ),
                key=repr,
            )
            for t in tables
        }


@pytest.fixture(scope="module")
def world(estate: Estate) -> World:
    made = World(estate)
    made.seed()
    return made


# Values valid in the seeded world for fields the schema cannot pin down (a currency the bank
# holds, a quantity the cart allows): without them the domain refuses the body (422) before
# it looks at the object, and authorization goes untested.
HINTS: dict[str, Any] = {"currency": "EUR", "quantity": 1, "amount": 100, "max_amount": 100}


def _body(operation: Any) -> Any:
    """A body the operation's schema accepts (drawn by schemathesis), or None."""
    if "requestBody" not in operation.definition.raw:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        case = operation.as_strategy(GenerationMode.POSITIVE).example()
    body = case.body
    if isinstance(body, dict):
        body |= {k: v for k, v in HINTS.items() if k in body}
    return body


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("attacker", ["other tenant, every role", "same tenant, other customer"])
def test_no_caller_reaches_another_customers_objects(
    service: str, attacker: str, world: World, record_property: Any
) -> None:
    app = world.estate.apps[service]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    if attacker.startswith("other tenant"):
        tenant, subject, roles = OTHER_TENANT, "intruder", EVERY_ROLE[service]
    else:
        tenant, subject, roles = TENANT, "intruder", [SAME_TENANT_ROLE[service]]
    failures: list[str] = []
    attacked = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the schema is invalid: {result.err()}")
            continue
        operation = result.ok()
        params = re.findall(r"{(\w+)}", operation.path)
        if not params:
            continue
        access = operation.definition.raw.get("x-lift-access", "owner")
        if access == "caller" or (
            access == "tenant" and tenant == TENANT and operation.method.upper() == "GET"
        ):
            continue
        missing = [p for p in params if p not in world.ids[service]]
        if missing:
            failures.append(
                f"{operation.method.upper()} {operation.path}: nothing seeded for "
                f"{missing}; add an object to World.seed"
            )
            continue
        path = operation.path
        for p in params:
            path = path.replace(f"{{{p}}}", world.ids[service][p])
        before = world.snapshot()
        status = None
        for _ in range(5):  # until the body passes validation: authorization must decide
            response = world.call(
                service,
                subject,
                roles,
                operation.method.upper(),
                path,
                tenant=tenant,
                json=_body(operation),
                params={"purpose": "treatment"},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            status = response.status_code
            if status != 422 or response.json()["type"] not in (
                "urn:lift:problem:validation-error",
                "urn:lift:problem:sensitive-data",
            ):
                break
        attacked += 1
        what = f"{operation.method.upper()} {operation.path} as {attacker}"
        if status not in (403, 404):
            failures.append(f"{what}: {status} {response.text[:200]}")
        if world.snapshot() != before:
            failures.append(f"{what}: changed stored data ({status})")
    line = f"authorization-matrix[{service}, {attacker}]: {attacked} operations attacked"
    print(line)
    record_property("authorization_matrix", line)
    assert attacked >= 5
    assert not failures, "\n".join(failures)


def _id_fields(operation: Any) -> list[str]:
    """The body's string properties that name an object (``*_id``)."""
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = operation.schema.raw_schema["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if name.endswith("_id")
        and "string" in (prop.get("type"), *(t.get("type") for t in prop.get("anyOf", [])))
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_one_object_named_in_every_id_field_of_a_body_is_a_4xx_problem(
    service: str, world: World, record_property: Any
) -> None:
    """Generated from OpenAPI: each operation whose body names two or more objects is sent
    one and the same seeded object in all of them (a transfer to itself, a merchant paying
    itself, a patient as their own provider), by a caller of the tenant holding every role.
    Never a 5xx, and a refusal is problem+json. (Not every such pair is two roles of one
    object: e-commerce's customer id is a login, so registering it may succeed.)"""
    app = world.estate.apps[service]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    attacked = 0
    objects = sorted({v for k, v in world.ids[service].items() if k.endswith("_id")})
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the other test names it
            continue
        operation = result.ok()
        fields = _id_fields(operation)
        params = re.findall(r"{(\w+)}", operation.path)
        if len(fields) < 2 or any(p not in world.ids[service] for p in params):
            continue
        path = operation.path
        for p in params:
            path = path.replace(f"{{{p}}}", world.ids[service][p])
        for named in objects:
            body = _body(operation) or {}
            body |= dict.fromkeys(fields, named)
            response = world.call(
                service,
                "ada",
                EVERY_ROLE[service],
                operation.method.upper(),
                path,
                json=body,
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            attacked += 1
            what = f"{operation.method.upper()} {operation.path} with {fields} = {named}"
            if response.status_code >= 500:
                failures.append(f"{what}: {response.status_code} {response.text[:200]}")
            elif response.status_code >= 400 and not response.headers["content-type"].startswith(
                "application/problem+json"
            ):
                failures.append(f"{what}: {response.status_code} is not a problem")
    line = f"same-object[{service}]: {attacked} calls"
    print(line)
    record_property("same_object", line)
    assert attacked, "no operation found whose body names two objects: is _id_fields blind?"
    assert not failures, "\n".join(failures)
