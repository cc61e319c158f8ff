"""A service's own credentials, for calls it makes as itself rather than for its caller.

Most calls forward the end user's token (``bearer_from_context``). Background work such as
saga recovery has no user: it calls as the service, with a token per tenant from
``ServiceTokens``. ``DevIssuerTokens`` gets them from the dev identity issuer; a deployment
plugs in its identity provider's client-credentials grant behind the same protocol.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

import httpx


class ServiceTokens(Protocol):
    async def token(self, tenant: str) -> str:
        """A bearer token naming this service as subject within ``tenant``."""
        ...


class DevIssuerTokens:
    """Tokens from the dev identity issuer's ``POST /token``, cached until shortly before
    they expire. Dev/test only: the issuer itself refuses to run anywhere else."""

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
        self.issuer_url = issuer_url.rstrip("/")
        self.subject = subject
        self.roles = list(roles)
        self.http = http or httpx.AsyncClient(timeout=5.0)
        self.margin = refresh_margin_seconds
        self.clock = clock
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    async def token(self, tenant: str) -> str:
        cached = self._cache.get(tenant)
        if cached and cached[1] > self.clock():
            return cached[0]
        async with self._lock:  # one fetch per tenant when many calls need it at once
            cached = self._cache.get(tenant)
            if cached and cached[1] > self.clock():
                return cached[0]
            response = await self.http.post(
                f"{self.issuer_url}/token",
                json={"tenant_id": tenant, "subject": self.subject, "roles": self.roles},
            )
            response.raise_for_status()
            body = response.json()
            expires = self.clock() + max(float(body["expires_in"]) - self.margin, 0.0)
            self._cache[tenant] = (body["access_token"], expires)
            return str(body["access_token"])
