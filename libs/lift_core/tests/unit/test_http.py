"""The process's HTTP clients: one TLS context, no cookies."""

from __future__ import annotations

import httpx
import pytest

from lift_core.http import http_client

pytestmark = pytest.mark.unit


async def test_a_cookie_an_answer_sets_is_never_sent_on_a_later_call() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, headers={"set-cookie": "session=tenant-a; Path=/"})

    async with http_client(transport=httpx.MockTransport(answer)) as client:
        await client.get("http://banking/api/v1/payments/1")
        client.cookies.set("forced", "x", domain="banking")  # nor one set by hand
        await client.get("http://banking/api/v1/payments/2")
        assert not list(client.cookies.jar)
    assert seen == [None, None]
