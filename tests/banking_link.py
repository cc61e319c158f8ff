"""The wire from a service to the real banking app in the same process, for tests.

``BankingLink`` is an httpx transport into banking's ASGI app with switches for the
failures a caller must survive: ``down`` (connection refused), ``slow`` (beyond any attempt
timeout) and ``lose_response`` (banking acts, the answer never arrives). ``MintedTokens``
gives the calling service its own token per tenant, as ``ServiceTokens`` does in the estate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

import httpx
from fastapi import FastAPI

Mode = Literal["up", "down", "slow", "lose_response"]


class BankingLink(httpx.AsyncBaseTransport):
    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.mode: Mode = "up"
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "slow":
            await asyncio.sleep(5)
        response = await self.inner.handle_async_request(request)
        if self.mode == "lose_response":
            await response.aread()
            raise httpx.ReadError("connection reset after the request was sent", request=request)
        return response


class MintedTokens:
    def __init__(self, mint: Callable[..., str], subject: str) -> None:
        self.mint = mint
        self.subject = subject

    async def token(self, tenant: str) -> str:
        return self.mint(tenant, self.subject, roles=["service"])
