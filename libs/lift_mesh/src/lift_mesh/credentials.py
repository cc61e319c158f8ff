"""A service's own credentials, for calls it makes as itself rather than for its caller.

Most calls forward the end user's token (``bearer_from_context``). Background work such as
saga recovery has no user: it calls as the service, with a token per tenant from
``ServiceTokens``:

- ``ClientCredentialsTokens``: the OAuth 2.0 client-credentials grant (RFC 6749 section
  4.4) against your identity provider's token endpoint. This is the production source.
- ``DevIssuerTokens``: the dev identity issuer's ``POST /token`` (dev and test only).

``service_tokens()`` picks one from settings. Both cache a token per tenant until shortly
before it expires, and fetch it once however many calls need it at the same moment. A token
endpoint that does not answer raises ``TokenUnavailable``, and one that refuses the client
raises ``TokenRefused``. Both are ``MeshError``s, so a caller treats them like an
unreachable callee; neither message carries the secret or a token.
"""

from __future__ import annotations

import asyncio
import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote_plus

import httpx
from pydantic import SecretStr

from lift_core import LiftSettings
from lift_core.http import http_client
from lift_mesh.config import MeshSettings
from lift_mesh.errors import MeshError, UnavailableError

IDENTITY_PROVIDER = "identity"  # the service name token errors carry


class ServiceTokens(Protocol):
    async def token(self, tenant: str) -> str:
        """A bearer token naming this service as subject within ``tenant``."""
        ...


class TokenUnavailable(UnavailableError):
    """The token endpoint did not answer, or answered 5xx: try again later."""


class TokenRefused(MeshError):
    """The token endpoint refused this client (an OAuth error such as ``invalid_client``)."""


class ServiceTokensRequired(RuntimeError):
    """Outside dev/test, a client-credentials token endpoint must be configured."""


class _CachedTokens(ABC):
    """One token per tenant, cached until ``refresh_margin_seconds`` before it expires.
    Subclasses say how to ask their token endpoint (``_request``)."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient | None,
        refresh_margin_seconds: float,
        clock: Callable[[], float],
    ) -> None:
        if http is not None:
            self.http = http
        self.margin = refresh_margin_seconds
        self.clock = clock
        self._cache: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @abstractmethod
    async def _request(self, tenant: str) -> httpx.Response:
        """Ask the token endpoint for ``tenant``'s token; the answer is checked here."""

    def _cached(self, tenant: str) -> str | None:
        cached = self._cache.get(tenant)
        return cached[0] if cached and cached[1] > self.clock() else None

    async def token(self, tenant: str) -> str:
        if token := self._cached(tenant):
            return token
        async with self._locks.setdefault(tenant, asyncio.Lock()):
            if token := self._cached(tenant):  # fetched while this call waited
                return token
            try:
                response = await self._request(tenant)
            except httpx.HTTPError as exc:
                raise TokenUnavailable(
                    f"token endpoint unreachable: {type(exc).__name__}", service=IDENTITY_PROVIDER
                ) from exc
            body = _json(response)
            if response.status_code >= 500:
                raise TokenUnavailable(
                    f"token endpoint answered {response.status_code}",
                    service=IDENTITY_PROVIDER,
                    status=response.status_code,
                )
            if response.status_code >= 400 or "access_token" not in body:
                error = str(body.get("error", "no access_token in the answer"))[:100]
                raise TokenRefused(
                    f"token endpoint refused the client: {error}",
                    service=IDENTITY_PROVIDER,
                    status=response.status_code,
                )
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 0))
            self._cache[tenant] = (token, self.clock() + max(lifetime - self.margin, 0.0))
            return token

    @functools.cached_property
    def http(self) -> httpx.AsyncClient:
        """Made on the first token asked, not at start (with its TLS context, ~30 ms)."""
        return http_client(timeout=5.0)

    async def aclose(self) -> None:
        if "http" in self.__dict__:
            await self.http.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class ClientCredentialsTokens(_CachedTokens):
    """Tokens from an OAuth 2.0 token endpoint by the client-credentials grant.

    The client authenticates with HTTP Basic (``client_secret_basic``). The tenant travels
    as a requested scope, ``tenant_scope`` formatted with it (``tenant:acme`` by default),
    next to any fixed ``scopes``. Your identity provider must turn that into the claims
    lift_core verifies: ``tenant_id`` and ``roles`` (a Cognito pre-token-generation trigger,
    an Auth0 action or a Keycloak mapper does this). ``audience`` is sent for providers
    that want one (Auth0).
    """

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str,
        client_secret: SecretStr,
        scopes: tuple[str, ...] = (),
        tenant_scope: str = "tenant:{tenant}",
        audience: str | None = None,
        http: httpx.AsyncClient | None = None,
        refresh_margin_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(http=http, refresh_margin_seconds=refresh_margin_seconds, clock=clock)
        self.token_url = token_url
        # RFC 6749 section 2.3.1: both are form-encoded before they go into Basic auth.
        self._auth = httpx.BasicAuth(
            quote_plus(client_id), quote_plus(client_secret.get_secret_value())
        )
        self.scopes = scopes
        self.tenant_scope = tenant_scope
        self.audience = audience

    async def _request(self, tenant: str) -> httpx.Response:
        form = {
            "grant_type": "client_credentials",
            "scope": " ".join([self.tenant_scope.format(tenant=tenant), *self.scopes]),
        }
        if self.audience:
            form["audience"] = self.audience
        return await self.http.post(self.token_url, data=form, auth=self._auth)


class DevIssuerTokens(_CachedTokens):
    """Tokens from the dev identity issuer's ``POST /token``. Dev/test only: the issuer
    itself refuses to run anywhere else."""

    def __init__(
        self,
        issuer_url: str,
        *,
        subject: str,
        roles: tuple[str, ...] = ("service",),
        http: httpx.AsyncClient | None = None,
        refresh_margin_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(http=http, refresh_margin_seconds=refresh_margin_seconds, clock=clock)
        self.issuer_url = issuer_url.rstrip("/")
        self.subject = subject
        self.roles = list(roles)

    async def _request(self, tenant: str) -> httpx.Response:
        return await self.http.post(
            f"{self.issuer_url}/token",
            json={"tenant_id": tenant, "subject": self.subject, "roles": self.roles},
        )


def service_tokens(
    lift: LiftSettings, mesh: MeshSettings, *, subject: str, dev_issuer_url: str
) -> ServiceTokens:
    """Client credentials when ``LIFT_MESH_TOKEN_URL`` is set; the dev issuer in dev/test;
    otherwise ``ServiceTokensRequired``, at start-up rather than at the first call."""
    if mesh.token_url:
        if not mesh.client_id or mesh.client_secret is None:
            raise ServiceTokensRequired(
                "LIFT_MESH_TOKEN_URL needs LIFT_MESH_CLIENT_ID and LIFT_MESH_CLIENT_SECRET"
            )
        return ClientCredentialsTokens(
            mesh.token_url,
            client_id=mesh.client_id,
            client_secret=mesh.client_secret,
            scopes=tuple(mesh.token_scopes),
            tenant_scope=mesh.tenant_scope,
            audience=mesh.token_audience,
        )
    if lift.is_dev:
        return DevIssuerTokens(dev_issuer_url, subject=subject)
    raise ServiceTokensRequired(
        f"{lift.environment.value}: calls made as the service need a client-credentials "
        "token endpoint (LIFT_MESH_TOKEN_URL, LIFT_MESH_CLIENT_ID, LIFT_MESH_CLIENT_SECRET)"
    )
