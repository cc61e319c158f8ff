"""The Lambda handler serves every event shape; the dev issuer's tokens verify end to end."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.lambda_events import alb, api_gateway_v1, function_url, http_api_v2

from lift_core.auth import HttpJwksSource, JwtVerifier
from lift_core.devidentity import DevIssuer, create_identity_app
from lift_core.lambda_handler import lambda_handler

pytestmark = pytest.mark.unit
Mint = Callable[..., str]


@dataclass
class FakeLambdaContext:
    aws_request_id: str
    function_name: str = "banking"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:banking"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


EVENTS = [api_gateway_v1, http_api_v2, function_url, alb]


def _body(result: dict[str, Any]) -> Any:
    raw = result["body"]
    if result.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


def _header(result: dict[str, Any], name: str) -> str:
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (result.get("multiValueHeaders") or {}).items()}
    value: str = headers.get(name) or multi[name][0]
    return value


@pytest.mark.parametrize("make_event", EVENTS)
def test_every_event_shape_serves_routes_auth_failures_and_validation(
    make_app: Any, mint: Mint, make_event: Callable[..., dict[str, Any]]
) -> None:
    handler = lambda_handler(make_app)
    ctx = FakeLambdaContext("req-1")
    auth = {"Authorization": f"Bearer {mint()}", "Content-Type": "application/json"}

    ok = handler(make_event("GET", "/api/v1/whoami", auth, None), ctx)
    assert ok["statusCode"] == 200
    assert _body(ok)["tenant"] == "acme"

    denied = handler(make_event("GET", "/api/v1/whoami", {}, None), ctx)
    assert denied["statusCode"] == 401
    assert _header(denied, "content-type") == "application/problem+json"

    invalid = handler(make_event("POST", "/api/v1/payments", auth, '{"amount": 0}'), ctx)
    assert invalid["statusCode"] == 422
    assert {e["field"] for e in _body(invalid)["errors"]} == {"body.amount", "body.currency"}


def test_first_invocation_is_the_cold_start_and_logs_carry_the_lambda_request_id(
    make_app: Any, mint: Mint, json_logs: list[str]
) -> None:
    handler = lambda_handler(make_app)
    auth = {"Authorization": f"Bearer {mint()}"}
    for request_id in ("first", "second"):
        handler(http_api_v2("GET", "/api/v1/whoami", auth, None), FakeLambdaContext(request_id))
    access = [json.loads(x) for x in json_logs if '"lift.access"' in x]
    assert [(a["lambda_request_id"], a["cold_start"]) for a in access] == [
        ("first", True),
        ("second", False),
    ]


def test_the_app_is_built_once_in_the_init_phase_not_in_an_invocation(make_app: Any) -> None:
    built: list[int] = []

    def factory() -> Any:
        built.append(1)
        return make_app()

    handler = lambda_handler(factory)  # what importing the handler's module does
    assert built == [1]
    handler(http_api_v2("GET", "/health/live", {}, None), FakeLambdaContext("a"))
    handler(http_api_v2("GET", "/health/live", {}, None), FakeLambdaContext("b"))
    assert built == [1]


async def test_dev_issuer_tokens_verify_through_its_jwks_endpoint(issuer: DevIssuer) -> None:
    transport = httpx.ASGITransport(app=create_identity_app(issuer))
    async with httpx.AsyncClient(transport=transport, base_url="http://id") as c:
        minted = await c.post(
            "/token", json={"tenant_id": "acme", "subject": "alice", "roles": ["teller"]}
        )
        refused = await c.post("/token", json={"tenant_id": "ACME Corp", "subject": "x"})
        discovery = (await c.get("/.well-known/openid-configuration")).json()
    assert minted.status_code == 200
    assert refused.status_code == 422
    verifier = JwtVerifier(
        HttpJwksSource("http://id/.well-known/jwks.json", transport=transport),
        issuer=discovery["issuer"],
        audience="lift",
    )
    principal = await verifier.verify(minted.json()["access_token"])
    assert (principal.tenant_id, principal.subject, principal.roles) == (
        "acme",
        "alice",
        frozenset({"teller"}),
    )
