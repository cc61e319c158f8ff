"""A small token issuer for local use: RSA key pair, JWKS, and a token endpoint.

It refuses to start unless the environment is dev or test. Run it with
``python -m lift_core.devidentity serve``; ``python -m lift_core.devidentity token`` asks a
running issuer for a token (``make token`` wraps it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from pydantic import BaseModel, Field

from lift_core.bodyguard import BodyGuardMiddleware
from lift_core.config import DevIdentitySettings, UnsafeSettingsError
from lift_core.docs import mount_docs
from lift_core.errors import install_exception_handlers

_NAME = r"^[a-z0-9][a-z0-9._@-]{0,63}$"


class TokenRequest(
    BaseModel,
    json_schema_extra={
        "examples": [{"tenant_id": "acme", "subject": "alice", "roles": ["customer"]}]
    },
):
    tenant_id: str = Field(pattern=_NAME, examples=["acme"])
    subject: str = Field(pattern=_NAME, examples=["alice"])
    roles: list[str] = Field(default_factory=list, max_length=16, examples=[["customer"]])
    scopes: list[str] = Field(default_factory=list, max_length=32)
    ttl_seconds: int | None = Field(default=None, ge=60, le=86_400)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class DevIssuer:
    """Signs RS256 tokens with a key kept on disk, so restarts keep tokens valid."""

    def __init__(
        self, settings: DevIdentitySettings, *, private_key: rsa.RSAPrivateKey | None = None
    ) -> None:
        if settings.environment.value not in ("dev", "test"):
            raise UnsafeSettingsError("the dev identity issuer only runs in dev or test")
        self.settings = settings
        self.private_key = private_key or _load_or_create_key(Path(settings.key_path))
        public_key = self.private_key.public_key()
        self.jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
        self.kid = _thumbprint(self.jwk)
        self.jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    def mint(self, request: TokenRequest) -> TokenResponse:
        ttl = request.ttl_seconds or self.settings.token_ttl_seconds
        now = int(time.time())
        claims = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": request.subject,
            "tenant_id": request.tenant_id,
            "roles": request.roles,
            "scope": " ".join(request.scopes),
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})
        return TokenResponse(access_token=token, expires_in=ttl)


def _thumbprint(jwk: dict[str, Any]) -> str:
    import base64
    import hashlib

    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def create_identity_app(issuer: DevIssuer) -> FastAPI:
    app = FastAPI(
        title="Lift dev identity",
        description="Local token issuer. Dev and test only: it mints any token you ask for.",
        docs_url=None,  # served offline by lift_core.docs, like the services'
        redoc_url=None,
    )
    mount_docs(app)
    # The same edge as the services: bounded bodies, RFC 9457 problems for every refusal.
    install_exception_handlers(app)
    app.add_middleware(BodyGuardMiddleware, max_bytes=16_384)

    @app.get("/.well-known/jwks.json", summary="Public signing keys")
    async def jwks() -> dict[str, Any]:
        return issuer.jwks()

    @app.get("/.well-known/openid-configuration", summary="Issuer metadata")
    async def discovery() -> dict[str, Any]:
        base = issuer.settings.url.rstrip("/")
        return {
            "issuer": issuer.settings.issuer,
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "token_endpoint": f"{base}/token",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    @app.post("/token", summary="Mint a token for a tenant, subject and roles")
    async def token(request: TokenRequest) -> TokenResponse:
        return issuer.mint(request)

    @app.get("/health/live", summary="Liveness")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    return app


def app_from_environment() -> FastAPI:
    """For uvicorn: ``uvicorn lift_core.devidentity:app_from_environment --factory``."""
    return create_identity_app(DevIssuer(DevIdentitySettings()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lift_core.devidentity")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the issuer")
    token = commands.add_parser("token", help="ask the running issuer for a token")
    token.add_argument("--tenant", required=True)
    token.add_argument("--sub", required=True)
    token.add_argument("--roles", default="", help="comma-separated")
    token.add_argument("--scopes", default="", help="comma-separated")
    args = parser.parse_args(argv)
    settings = DevIdentitySettings()
    if args.command == "serve":
        import uvicorn

        uvicorn.run(
            create_identity_app(DevIssuer(settings)),
            host=settings.host,
            port=settings.port,
            log_level="warning",
        )
        return 0
    body = {
        "tenant_id": args.tenant,
        "subject": args.sub,
        "roles": [r for r in args.roles.split(",") if r],
        "scopes": [s for s in args.scopes.split(",") if s],
    }
    try:
        response = httpx.post(f"{settings.url.rstrip('/')}/token", json=body, timeout=5)
    except httpx.ConnectError:
        print(
            f"no dev issuer answers at {settings.url}; start it with "
            "`uv run python -m lift_core.devidentity serve`",
            file=sys.stderr,
        )
        return 1
    if response.status_code != 200:
        print(response.text, file=sys.stderr)
        return 1
    print(response.json()["access_token"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
