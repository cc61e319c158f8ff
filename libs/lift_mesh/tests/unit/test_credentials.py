"""Service tokens: the client-credentials grant, caching, failures, and the choice by settings."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from lift_core import LiftSettings
from lift_core.config import Environment
from lift_mesh import (
    ClientCredentialsTokens,
    DevIssuerTokens,
    MeshError,
    MeshSettings,
    ServiceClient,
    ServiceTokensRequired,
    TokenRefused,
    TokenUnavailable,
    as_service,
    service_tokens,
)

pytestmark = pytest.mark.unit

SECRET = "s3cr&t:with+chars"


class TokenEndpoint:
    """An OAuth 2.0 token endpoint that checks what RFC 6749 section 4.4 requires."""

    def __init__(self) -> None:
        self.requests: list[dict[str, list[str]]] = []
        self.answer: tuple[int, dict[str, object]] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        scheme, _, encoded = request.headers["authorization"].partition(" ")
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        form = parse_qs(request.content.decode())
        self.requests.append(form)
        if self.answer:
            return httpx.Response(self.answer[0], json=self.answer[1])
        if (scheme, client_id, secret) != ("Basic", "ecommerce", "s3cr%26t%3Awith%2Bchars"):
            return httpx.Response(401, json={"error": "invalid_client"})
        if form.get("grant_type") != ["client_credentials"]:
            return httpx.Response(400, json={"error": "unsupported_grant_type"})
        tenant = form["scope"][0].split()[0].removeprefix("tenant:")
        token = f"tok-{tenant}-{len(self.requests)}"
        return httpx.Response(200, json={"access_token": token, "expires_in": 120})


def tokens_for(
    endpoint: TokenEndpoint, now: list[float], **kwargs: object
) -> ClientCredentialsTokens:
    return ClientCredentialsTokens(
        "https://idp.example/oauth2/token",
        client_id="ecommerce",
        client_secret=SecretStr(SECRET),
        scopes=("payments:write",),
        http=httpx.AsyncClient(transport=httpx.MockTransport(endpoint)),
        clock=lambda: now[0],
        **kwargs,  # type: ignore[arg-type]
    )


async def test_one_grant_per_tenant_however_many_calls_wait_and_a_refresh_before_expiry() -> None:
    endpoint, now = TokenEndpoint(), [0.0]
    tokens = tokens_for(endpoint, now, audience="https://banking")
    first = await asyncio.gather(*(tokens.token("acme") for _ in range(10)))
    assert set(first) == {"tok-acme-1"}
    assert await tokens.token("globex") == "tok-globex-2"
    assert endpoint.requests[0] == {
        "grant_type": ["client_credentials"],
        "scope": ["tenant:acme payments:write"],
        "audience": ["https://banking"],
    }
    now[0] = 59.0
    assert await tokens.token("acme") == "tok-acme-1"
    now[0] = 61.0  # 120 s tokens are refreshed 60 s before they expire
    assert await tokens.token("acme") == "tok-acme-3"
    assert len(endpoint.requests) == 3


async def test_a_refused_client_is_a_mesh_error_naming_the_oauth_error_never_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint = TokenEndpoint()
    tokens = ClientCredentialsTokens(
        "https://idp.example/oauth2/token",
        client_id="ecommerce",
        client_secret=SecretStr("wrong-secret"),
        http=httpx.AsyncClient(transport=httpx.MockTransport(endpoint)),
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TokenRefused) as refused:
        await tokens.token("acme")
    assert isinstance(refused.value, MeshError)
    assert (refused.value.status, "invalid_client" in str(refused.value)) == (401, True)
    assert "wrong-secret" not in str(refused.value)
    assert "wrong-secret" not in caplog.text


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((503, {"error": "temporarily_unavailable"}), TokenUnavailable),
        ((200, {"token_type": "Bearer"}), TokenRefused),
    ],
)
async def test_a_failed_grant_raises_and_is_not_cached(
    answer: tuple[int, dict[str, object]], error: type[Exception]
) -> None:
    endpoint, now = TokenEndpoint(), [0.0]
    tokens = tokens_for(endpoint, now)
    endpoint.answer = answer
    with pytest.raises(error):
        await tokens.token("acme")
    endpoint.answer = None
    assert await tokens.token("acme") == "tok-acme-2"


def test_settings_choose_client_credentials_then_the_dev_issuer_else_refuse() -> None:
    dev = LiftSettings(environment=Environment.TEST)
    prod = LiftSettings.model_construct(environment=Environment.PROD)
    configured = MeshSettings(
        token_url="https://idp.example/oauth2/token",
        client_id="ecommerce",
        client_secret=SecretStr(SECRET),
        token_scopes=["payments:write"],
    )
    chosen = service_tokens(prod, configured, subject="ecommerce", dev_issuer_url="http://x")
    assert isinstance(chosen, ClientCredentialsTokens)
    assert chosen.scopes == ("payments:write",)
    assert isinstance(
        service_tokens(dev, MeshSettings(), subject="ecommerce", dev_issuer_url="http://x"),
        DevIssuerTokens,
    )
    with pytest.raises(ServiceTokensRequired, match="LIFT_MESH_TOKEN_URL"):
        service_tokens(prod, MeshSettings(), subject="ecommerce", dev_issuer_url="http://x")
    with pytest.raises(ServiceTokensRequired, match="CLIENT_SECRET"):
        service_tokens(
            prod,
            MeshSettings(token_url="https://idp.example/t", client_id="ecommerce"),
            subject="ecommerce",
            dev_issuer_url="http://x",
        )
    assert SECRET not in json.dumps(configured.model_dump(mode="json"))


async def test_the_mesh_and_token_clients_verify_tls_with_one_shared_context() -> None:
    import ssl

    from lift_core.http import tls_context

    mesh = ServiceClient("banking")
    tokens = DevIssuerTokens("http://issuer", subject="ecommerce")
    # httpx keeps the context on its connection pool; there is no public accessor.
    contexts = [client.http._transport._pool._ssl_context for client in (mesh, tokens)]  # type: ignore[attr-defined]
    assert contexts[0] is contexts[1] is tls_context()
    assert tls_context().verify_mode is ssl.CERT_REQUIRED
    assert tls_context().check_hostname
    await mesh.aclose()
    await tokens.http.aclose()


async def test_the_http_clients_are_made_on_first_use_not_when_a_service_starts() -> None:
    mesh = ServiceClient("banking")
    tokens = DevIssuerTokens("http://issuer", subject="ecommerce")
    assert "http" not in vars(mesh)
    assert "http" not in vars(tokens)
    await mesh.aclose()  # closing what was never opened makes nothing
    assert "http" not in vars(mesh)
    first = tokens.http
    assert tokens.http is first  # one client for every later token
    await tokens.aclose()
    assert first.is_closed


def test_as_service_pairs_a_client_of_the_target_with_the_services_own_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFT_MESH_SERVICES", '{"banking": ["http://banking:8000"]}')
    dev = LiftSettings(environment=Environment.TEST)
    client, tokens = as_service("banking", dev, subject="ecommerce", dev_issuer_url="http://x")
    assert client.service == "banking"
    assert client.settings.services == {"banking": ["http://banking:8000"]}
    assert isinstance(tokens, DevIssuerTokens)
    prod = LiftSettings.model_construct(environment=Environment.PROD)
    with pytest.raises(ServiceTokensRequired):  # refused at start-up, not at the first call
        as_service("banking", prod, subject="ecommerce", dev_issuer_url="http://x")
