"""Bad input never yields a 500; every error is an RFC 9457 problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

Mint = Callable[..., str]

pytestmark = pytest.mark.unit


def _auth(mint: Mint) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint()}"}


def _assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert str(body["type"]).startswith("urn:lift:problem:")
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_wrong_types_are_422_with_field_errors_that_do_not_echo_input(
    client: httpx.AsyncClient, mint: Mint
) -> None:
    response = await client.post(
        "/api/v1/payments",
        json={"amount": "4111 1111 1111 1111", "currency": "usd"},
        headers=_auth(mint),
    )
    body = _assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert fields == {"body.amount", "body.currency"}
    assert "4111" not in response.text
    assert body["instance"] == f"urn:lift:request:{response.headers['x-request-id']}"


async def test_malformed_json_is_400(client: httpx.AsyncClient, mint: Mint) -> None:
    response = await client.post(
        "/api/v1/payments",
        content=b'{"amount": 5,',
        headers={**_auth(mint), "content-type": "application/json"},
    )
    body = _assert_problem(response, 400)
    assert body["type"] == "urn:lift:problem:malformed-json"


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient, mint: Mint) -> None:
    _assert_problem(await client.get("/api/v1/nope", headers=_auth(mint)), 404)


@pytest.mark.parametrize(
    ("path", "allowed"), [("/api/v1/whoami", "GET"), ("/api/v1/payments", "GET, POST")]
)
async def test_wrong_method_is_a_405_problem_that_names_every_method_of_the_path(
    client: httpx.AsyncClient, mint: Mint, path: str, allowed: str
) -> None:
    """Starlette names only the first route that matched the path (RFC 9110 15.5.6: all)."""
    response = await client.delete(path, headers=_auth(mint))
    _assert_problem(response, 405)
    assert response.headers["allow"] == allowed


async def test_domain_error_maps_through_the_service_table(
    client: httpx.AsyncClient, mint: Mint
) -> None:
    body = _assert_problem(await client.post("/api/v1/overdraw", headers=_auth(mint)), 409)
    assert body["type"] == "urn:lift:problem:insufficient-funds"
    assert body["detail"] == "A domain error: no HTTP in it."  # its docstring, not its message
    assert "balance too low" not in str(body)


async def test_unexpected_error_is_500_without_internals_and_logged_with_stack(
    client: httpx.AsyncClient, mint: Mint, json_logs: list[str]
) -> None:
    response = await client.get("/api/v1/boom", headers=_auth(mint))
    body = _assert_problem(response, 500)
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    [line] = [json.loads(x) for x in json_logs if '"lift.errors"' in x]
    assert "RuntimeError: internal detail" in line["exception"]
    assert line["request_id"] == body["request_id"]


@pytest.mark.parametrize(
    "hostile_id",
    ["A" * 5000, "x\x00y", "\x1b[31mred", "' OR '1'='1", "<script>alert(1)</script>"],
)
async def test_a_problem_echoes_nothing_of_the_path(
    client: httpx.AsyncClient, mint: Mint, hostile_id: str
) -> None:
    from urllib.parse import quote

    response = await client.get(f"/api/v1/nope/{quote(hostile_id)}", headers=_auth(mint))
    assert response.status_code == 404
    for fragment in ("AAAA", "\\u0000", "x\x00y", "[31m", "OR '1'", "script"):
        assert fragment not in response.text


@pytest.mark.parametrize(
    ("error", "field"),
    [
        ({"type": "extra_forbidden", "loc": ("body", "ZQX' OR 1=1")}, "body.<unknown field>"),
        ({"type": "extra_forbidden", "loc": ("body", "zqxsecret")}, "body.<unknown field>"),
        ({"type": "int_type", "loc": ("body", "tags", "ZQX\x00", "[key]")}, "body.tags.*.*"),
        ({"type": "int_type", "loc": ("body", "items", 3, "amount")}, "body.items.3.amount"),
    ],
)
def test_field_errors_do_not_repeat_keys_the_client_chose(
    error: dict[str, Any], field: str
) -> None:
    from lift_core.errors import _field

    assert _field(error) == field
