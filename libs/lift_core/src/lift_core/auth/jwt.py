"""Verify bearer JWTs against a JWKS with PyJWT: asymmetric algorithms only.

Keys are cached by ``kid`` and refreshed periodically; an unknown ``kid`` triggers a refetch
at most once per ``min_refetch_seconds`` (so a flood of forged kids cannot hammer the
issuer). Verified tokens are cached until they expire, keeping auth off the hot path.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

import jwt
from cachetools import TTLCache

from lift_core.context import Principal
from lift_core.errors import Unauthorized

if TYPE_CHECKING:
    import httpx

# A bearer token longer than this is refused before it is parsed: real tokens are well under
# 2 KiB, and every byte of a forged one is work done for an unauthenticated caller.
MAX_TOKEN_BYTES = 8192
# What PyJWT and the JSON decoder raise on hostile input besides PyJWTError: a number too
# big for a float or an int (exp=1e400), a claim of the wrong type, a header nested deeper
# than the C decoder's recursion limit.
_MALFORMED = (jwt.PyJWTError, ValueError, TypeError, OverflowError, RecursionError)

ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class JwksSource(Protocol):
    async def fetch(self) -> dict[str, Any]: ...


class HttpJwksSource:
    """Fetches the JWKS document from the issuer over HTTPS (HTTP in dev)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.transport = transport

    async def fetch(self) -> dict[str, Any]:
        from lift_core.http import http_client  # deferred: only a JWKS fetch needs httpx

        async with http_client(timeout=self.timeout, transport=self.transport) as client:
            response = await client.get(self.url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document


class StaticJwksSource:
    """A fixed JWKS, for tests and for issuers whose keys are configured, not fetched."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.fetches = 0

    async def fetch(self) -> dict[str, Any]:
        self.fetches += 1
        return self.jwks


class JwtVerifier:
    """Turns a bearer token into a ``Principal`` or raises ``Unauthorized``."""

    def __init__(
        self,
        source: JwksSource,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        refresh_seconds: float = 600,
        min_refetch_seconds: float = 10,
        cache_size: int = 10_000,
    ) -> None:
        self.source = source
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self.refresh_seconds = refresh_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        # Token -> (principal, exp). Bounded; entries also age out after a minute so a
        # revoked signing key stops being honoured promptly.
        self._verified: TTLCache[str, tuple[Principal, float]] = TTLCache(
            maxsize=max(cache_size, 1), ttl=60
        )

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthorized("The bearer token is too long.")
        cached = self._verified.get(token)
        if cached is not None and cached[1] + self.leeway > time.time():
            return cached[0]
        principal, exp = await self._verify_uncached(token)
        self._verified[token] = (principal, exp)
        return principal

    async def _verify_uncached(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except _MALFORMED as exc:
            raise Unauthorized("The bearer token is malformed.") from exc
        algorithm = header.get("alg")
        # Any JSON type can sit in a header: only a string is looked up (a list is unhashable).
        if not isinstance(algorithm, str) or algorithm not in ALLOWED_ALGORITHMS:
            raise Unauthorized("The token's signing algorithm is not accepted.")
        key = await self._key_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The bearer token has expired.") from exc
        except _MALFORMED as exc:
            raise Unauthorized("The bearer token is not valid.") from exc
        return _principal_from(claims, token), float(claims["exp"])

    async def _key_for(self, kid: Any) -> jwt.PyJWK:
        if not isinstance(kid, str):
            raise Unauthorized("The token names no signing key.")
        stale = time.monotonic() - self._fetched_at > self.refresh_seconds
        if kid not in self._keys or stale:
            await self._refresh(force=stale)
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("The token's signing key is unknown.")
        return key

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            since = time.monotonic() - self._fetched_at
            if since < self.min_refetch_seconds and not force:
                return
            try:
                document = await self.source.fetch()
            except Exception as exc:  # network, HTTP status or JSON: keep the keys we have
                if self._keys:
                    return
                raise Unauthorized("The token issuer's keys are unavailable.") from exc
            finally:
                self._fetched_at = time.monotonic()
            keys: dict[str, jwt.PyJWK] = {}
            for jwk in document.get("keys", []) if isinstance(document, dict) else []:
                if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
                    continue
                if jwk.get("kty") in ("RSA", "EC", "OKP"):
                    try:
                        keys[jwk["kid"]] = jwt.PyJWK(jwk)
                    except jwt.PyJWKError:  # one bad key in the set must not hide the others
                        continue
            self._keys = keys


def _is_name(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= 256


def _principal_from(claims: dict[str, Any], token: str) -> Principal:
    """Every claim Lift reads must have the type it is read as: a signed token from a
    misconfigured issuer is refused, not coerced (``str({})`` is not a subject)."""
    tenant = claims.get("tenant_id")
    if not _is_name(tenant):
        raise Unauthorized("The token carries no tenant.")
    subject = claims.get("sub")
    if not _is_name(subject):
        raise Unauthorized("The token's subject is malformed.")
    roles = claims.get("roles", [])
    scopes = claims.get("scope", "")
    if (
        not isinstance(roles, list)
        or not all(_is_name(r) for r in roles)
        or not isinstance(scopes, str)
    ):
        raise Unauthorized("The token's roles or scopes are malformed.")
    if not isinstance(claims["exp"], int | float) or isinstance(claims["exp"], bool):
        raise Unauthorized("The bearer token is not valid.")
    return Principal(
        subject=subject,
        tenant_id=tenant,
        roles=frozenset(roles),
        scopes=frozenset(scopes.split()),
        token=token,
    )
