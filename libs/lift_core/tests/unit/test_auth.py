"""Bearer JWT auth: every way a token can be wrong answers 401, never 500."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lift_core.auth import JwtVerifier, StaticJwksSource
from lift_core.devidentity import DevIssuer
from lift_core.errors import Unauthorized

pytestmark = pytest.mark.unit
Mint = Callable[..., str]


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "http://localhost:8000",
        "aud": "lift",
        "sub": "mallory",
        "tenant_id": "acme",
        "roles": ["admin"],
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


def _sign(issuer: DevIssuer, claims: dict[str, Any], **kwargs: Any) -> str:
    headers = {"kid": issuer.kid, **kwargs.pop("headers", {})}
    return jwt.encode(claims, issuer.private_key, algorithm="RS256", headers=headers, **kwargs)


async def test_whoami_reflects_the_verified_token(client: httpx.AsyncClient, mint: Mint) -> None:
    token = mint("acme", "alice", roles=["customer"])
    response = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"subject": "alice", "tenant": "acme", "roles": ["customer"]}


async def test_health_and_docs_are_open(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).status_code == 200
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/docs")).status_code == 200


async def test_openapi_declares_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert schema["paths"]["/api/v1/whoami"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in schema["paths"]["/health/live"]["get"]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt", "Bearer a.b"],
)
async def test_missing_or_malformed_credentials_are_401(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await client.get("/api/v1/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(exp=int(time.time()) - 3600), "expired"),
        (_claims(iss="https://evil.example"), "not valid"),
        (_claims(aud="other-service"), "not valid"),
        (_claims(nbf=int(time.time()) + 3600), "not valid"),
        (_claims(tenant_id=None), "no tenant"),
        (_claims(roles="admin"), "malformed"),
    ],
)
async def test_bad_claims_are_401(
    client: httpx.AsyncClient, issuer: DevIssuer, claims: dict[str, Any], reason: str
) -> None:
    claims = {k: v for k, v in claims.items() if v is not None}
    response = await client.get(
        "/api/v1/whoami", headers={"Authorization": f"Bearer {_sign(issuer, claims)}"}
    )
    assert response.status_code == 401
    assert reason in response.json()["detail"]


async def test_token_signed_by_another_key_is_401(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(), other, algorithm="RS256", headers={"kid": issuer.kid})
    response = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_alg_none_and_hmac_are_refused(client: httpx.AsyncClient, issuer: DevIssuer) -> None:
    unsigned = jwt.encode(_claims(), "", algorithm="none", headers={"kid": issuer.kid})
    # Algorithm confusion: HS256 keyed with the public JWK's modulus must not verify.
    hmac_forged = jwt.encode(
        _claims(), issuer.jwk["n"], algorithm="HS256", headers={"kid": issuer.kid}
    )
    for token in (unsigned, hmac_forged):
        response = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert "algorithm is not accepted" in response.json()["detail"]


async def test_tenant_header_disagreeing_with_token_is_403(
    client: httpx.AsyncClient, mint: Mint
) -> None:
    headers = {"Authorization": f"Bearer {mint('acme')}", "X-Tenant-ID": "globex"}
    response = await client.get("/api/v1/whoami", headers=headers)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:lift:problem:tenant-mismatch"
    headers["X-Tenant-ID"] = "acme"
    assert (await client.get("/api/v1/whoami", headers=headers)).status_code == 200


async def test_require_roles_and_scopes(client: httpx.AsyncClient, mint: Mint) -> None:
    customer = {"Authorization": f"Bearer {mint(roles=['customer'])}"}
    admin = {"Authorization": f"Bearer {mint(roles=['admin'], scopes=['payments:write'])}"}
    assert (await client.get("/api/v1/admin", headers=customer)).status_code == 403
    assert (await client.get("/api/v1/admin", headers=admin)).status_code == 200
    assert (await client.get("/api/v1/scoped", headers=customer)).status_code == 403
    assert (await client.get("/api/v1/scoped", headers=admin)).status_code == 200


async def test_unknown_kid_refetches_at_a_bounded_rate_and_picks_up_rotation(
    issuer: DevIssuer, mint: Mint
) -> None:
    source = StaticJwksSource({"keys": []})
    verifier = JwtVerifier(
        source, issuer="http://localhost:8000", audience="lift", min_refetch_seconds=3600
    )
    token = mint()
    with pytest.raises(Unauthorized, match="signing key is unknown"):
        await verifier.verify(token)
    for _ in range(20):  # a flood of unknown kids does not hammer the issuer
        with pytest.raises(Unauthorized):
            await verifier.verify(token)
    assert source.fetches == 1

    rotated = JwtVerifier(
        source, issuer="http://localhost:8000", audience="lift", min_refetch_seconds=0
    )
    with pytest.raises(Unauthorized):
        await rotated.verify(token)
    source.jwks = issuer.jwks()  # the issuer publishes its new key
    principal = await rotated.verify(token)
    assert principal.subject == "alice"


async def test_verified_tokens_are_cached(issuer: DevIssuer, mint: Mint) -> None:
    source = StaticJwksSource(issuer.jwks())
    verifier = JwtVerifier(source, issuer="http://localhost:8000", audience="lift")
    token = mint()
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first
    assert source.fetches == 1


def _forge(issuer: DevIssuer, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token signed with the issuer's real key whose header PyJWT would refuse to write."""
    from jwt.algorithms import RSAAlgorithm
    from jwt.utils import base64url_encode

    def part(value: Any) -> bytes:
        return base64url_encode(json.dumps(value).encode())

    signing_input = part(header) + b"." + part(claims)
    signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(signing_input, issuer.private_key)
    return (signing_input + b"." + base64url_encode(signature)).decode()


@pytest.mark.parametrize(
    "alg", [["RS256"], {"RS256": True}, 256, None, True, "none", "HS256", "RS256 "]
)
async def test_an_algorithm_of_any_json_type_is_401(
    client: httpx.AsyncClient, issuer: DevIssuer, alg: Any
) -> None:
    token = _forge(issuer, {"alg": alg, "kid": issuer.kid, "typ": "JWT"}, _claims())
    response = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("sub", {"id": "alice"}),
        ("sub", ["alice"]),
        ("sub", ""),
        ("tenant_id", ["acme"]),
        ("roles", [{"admin": True}]),
        ("roles", "admin"),
        ("scope", ["a"]),
        ("exp", 1e400),
        ("exp", "never"),
        ("iat", [1]),
    ],
)
async def test_a_signed_claim_of_the_wrong_type_is_401_not_coerced(
    client: httpx.AsyncClient, issuer: DevIssuer, claim: str, value: Any
) -> None:
    token = _forge(issuer, {"alg": "RS256", "kid": issuer.kid}, _claims(**{claim: value}))
    response = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_an_oversized_token_is_refused_before_it_is_parsed(
    client: httpx.AsyncClient, issuer: DevIssuer
) -> None:
    token = _sign(issuer, _claims(padding="x" * 9000))
    response = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "too long" in response.json()["detail"]
