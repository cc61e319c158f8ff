"""The API documents say what the services do, for every operation of every service's
OpenAPI (so an operation added tomorrow is checked too):

- every request body carries an example that its own schema accepts and that the running
  service accepts (no 400/422; an id in an example may still be unknown: 404 is fine);
- a header a route cannot do without (Idempotency-Key) is documented as required;
- the bearer scheme says where a token comes from;
- /docs and /redoc load nothing from another origin, and every asset they name is served.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient
from tests.inprocess import SERVICES, Estate

pytestmark = pytest.mark.integration
APPS = (*SERVICES, "identity")


def _bodies(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                yield method, path, body["schema"]


def _resolved(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        found: dict[str, Any] = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return found
    return schema


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: urllib.parse.quote("doc-example-id"), template)


@pytest.mark.parametrize("service", APPS)
def test_every_request_body_has_an_example_its_schema_and_the_service_accept(
    estate: Estate, service: str
) -> None:
    app = estate.apps[service]
    doc = app.openapi()
    bodies = list(_bodies(doc))
    assert bodies, f"{service} documents no request body"
    auth = {"Authorization": f"Bearer {estate.token(service)}", "Idempotency-Key": "doc-example"}
    refused = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, schema in bodies:
            examples = _resolved(doc, schema).get("examples")
            assert examples, f"{service} {method.upper()} {path}: no request example"
            validator = Draft202012Validator({**schema, "components": doc["components"]})
            for example in examples:
                problems = [e.message for e in validator.iter_errors(example)]
                assert not problems, f"{service} {method.upper()} {path}: {problems}"
                answer = client.request(method, _path(path), json=example, headers=auth)
                if answer.status_code in (400, 422) or answer.status_code >= 500:
                    refused.append(f"{method.upper()} {path}: {answer.status_code} {answer.text}")
    assert not refused, f"{service} refuses its own examples: {refused}"


@pytest.mark.parametrize("service", APPS)
def test_required_headers_are_documented_required(estate: Estate, service: str) -> None:
    doc = estate.apps[service].openapi()
    keyed = [
        (path, parameter)
        for path, operations in doc["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header" and parameter["name"].lower() == "idempotency-key"
    ]
    assert all(p["required"] is True for _, p in keyed), keyed
    if service in ("banking", "ecommerce"):  # money movements and checkout
        assert keyed, f"{service} documents no Idempotency-Key"
    if service == "banking":  # the key is asked for; is it refused when missing?
        with TestClient(estate.apps[service], raise_server_exceptions=False) as client:
            for path, _ in keyed:
                answer = client.post(
                    _path(path),
                    json={},
                    headers={"Authorization": f"Bearer {estate.token(service)}"},
                )
                assert answer.json()["type"] == "urn:lift:problem:idempotency-key-required", path


@pytest.mark.parametrize("service", SERVICES)
def test_the_bearer_scheme_says_where_a_token_comes_from(estate: Estate, service: str) -> None:
    scheme = estate.apps[service].openapi()["components"]["securitySchemes"]["bearerAuth"]
    assert "make token" in scheme["description"]
    assert "make run" in scheme["description"]


@pytest.mark.parametrize("service", APPS)
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_their_own_assets(estate: Estate, service: str, page: str) -> None:
    with TestClient(estate.apps[service]) as client:
        html = client.get(page)
        assert html.status_code == 200
        named = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text)
        scripts = re.findall(r"""<script[^>]+src=["']([^"']+)""", html.text)
        assert scripts, f"{page} loads no script"
        assert all(url.startswith("/") and not url.startswith("//") for url in named), named
        for url in named:
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("service", SERVICES)
def test_every_listing_pages_with_the_one_cursor_and_the_one_page_shape(
    estate: Estate, service: str
) -> None:
    """An operation that takes ``cursor`` takes ``limit`` too and answers ``CursorPage``:
    ``items`` and a nullable ``next_cursor``, nothing else."""
    doc = estate.apps[service].openapi()
    listings = [
        (method, path, operation)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        if any(p["name"] == "cursor" for p in operation.get("parameters", []))
    ]
    assert listings, f"{service} documents no listing"
    for method, path, operation in listings:
        where = f"{service} {method.upper()} {path}"
        names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert "limit" in names, where
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        page = _resolved(doc, ok)
        assert page["title"].startswith("CursorPage["), where
        assert set(page["properties"]) == {"items", "next_cursor"}, where
        assert page["properties"]["items"]["type"] == "array", where
