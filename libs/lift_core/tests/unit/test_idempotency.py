"""Idempotency-Key semantics through the full stack, with the in-memory store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lift_core.idempotency import InMemoryIdempotencyStore, fingerprint

pytestmark = pytest.mark.unit
Mint = Callable[..., str]


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


def _headers(mint: Mint, key: str, tenant: str = "acme") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(tenant)}", "Idempotency-Key": key}


def test_fingerprint_ignores_whitespace_and_key_order() -> None:
    assert fingerprint(b'{"a": 1, "b": [1, 2]}') == fingerprint(b'{"b":[1,2],"a":1}')
    assert fingerprint(b'{"a": 1}') != fingerprint(b'{"a": 2}')
    assert fingerprint(b"not json") == fingerprint(b"not json")


async def test_same_key_and_payload_replays_without_doing_the_work_twice(
    client: httpx.AsyncClient, mint: Mint, probe: Any
) -> None:
    first = await client.post(
        "/api/v1/payments",
        content=b'{"amount": 5, "currency": "USD"}',
        headers={**_headers(mint, "k1"), "content-type": "application/json"},
    )
    again = await client.post(
        "/api/v1/payments",
        content=b'{"currency":"USD","amount":5}',
        headers={**_headers(mint, "k1"), "content-type": "application/json"},
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"n": 1, "amount": 5, "tenant": "acme"}
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["content-type"] == "application/json"
    assert probe.executions == 1


async def test_same_key_with_a_different_payload_is_422(
    client: httpx.AsyncClient, mint: Mint, probe: Any
) -> None:
    await client.post(
        "/api/v1/payments", json={"amount": 5, "currency": "USD"}, headers=_headers(mint, "k2")
    )
    other = await client.post(
        "/api/v1/payments", json={"amount": 6, "currency": "USD"}, headers=_headers(mint, "k2")
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:lift:problem:idempotency-key-reused"
    assert probe.executions == 1


async def test_keys_are_scoped_by_tenant_and_route(
    client: httpx.AsyncClient, mint: Mint, probe: Any
) -> None:
    body = {"amount": 5, "currency": "USD"}
    a = await client.post("/api/v1/payments", json=body, headers=_headers(mint, "k3", "acme"))
    b = await client.post("/api/v1/payments", json=body, headers=_headers(mint, "k3", "globex"))
    c = await client.post("/api/v1/flaky", json=body, headers=_headers(mint, "k3", "acme"))
    assert a.json()["tenant"] == "acme"
    assert b.json()["tenant"] == "globex"
    assert "idempotent-replayed" not in b.headers
    assert c.status_code == 200  # a different route: executed, not replayed
    assert "idempotent-replayed" not in c.headers
    assert probe.executions == 3


async def test_concurrent_duplicate_is_409_with_retry_after(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    async with _client(make_app()) as c:
        first = asyncio.create_task(c.post("/api/v1/wait", headers=_headers(mint, "k4")))
        while probe.executions < 1:
            await asyncio.sleep(0.001)
        duplicate = await c.post("/api/v1/wait", headers=_headers(mint, "k4"))
        probe.release.set()
        assert (await first).status_code == 200
    assert duplicate.status_code == 409
    assert int(duplicate.headers["retry-after"]) >= 1
    assert probe.executions == 1


async def test_a_5xx_releases_the_key_so_the_client_may_retry(
    client: httpx.AsyncClient, mint: Mint, probe: Any
) -> None:
    failed = await client.post("/api/v1/flaky", json={}, headers=_headers(mint, "k5"))
    retried = await client.post("/api/v1/flaky", json={}, headers=_headers(mint, "k5"))
    assert failed.status_code == 500
    assert retried.status_code == 200
    assert retried.json() == {"n": 2}
    assert "idempotent-replayed" not in retried.headers


async def test_a_4xx_is_stored_and_replayed(
    client: httpx.AsyncClient, mint: Mint, probe: Any
) -> None:
    first = await client.post("/api/v1/overdraw", json={}, headers=_headers(mint, "k6"))
    again = await client.post("/api/v1/overdraw", json={}, headers=_headers(mint, "k6"))
    assert first.status_code == again.status_code == 409
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/problem+json"


async def test_oversized_key_is_400(client: httpx.AsyncClient, mint: Mint) -> None:
    response = await client.post(
        "/api/v1/payments", json={"amount": 1, "currency": "USD"}, headers=_headers(mint, "k" * 256)
    )
    assert response.status_code == 400


async def test_cancelled_request_releases_the_key(make_app: Any, mint: Mint, probe: Any) -> None:
    store = InMemoryIdempotencyStore()
    app = make_app(settings_overrides={"request_timeout_seconds": 0.05}, store=store)
    async with _client(app) as c:
        timed_out = await c.post("/api/v1/wait", headers=_headers(mint, "k7"))
    assert timed_out.status_code == 504
    assert store.entries == {}


async def test_a_request_cancelled_from_outside_still_releases_its_key(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    """anyio cancellation is level-triggered: once a scope is cancelled every later await in
    it raises too, so the release must be shielded (a store's release awaits I/O)."""
    import anyio
    import anyio.lowlevel

    class IoReleaseStore(InMemoryIdempotencyStore):
        async def release(self, key: str) -> None:
            await anyio.lowlevel.checkpoint()  # where an unshielded await is cancelled
            await super().release(key)

    store = IoReleaseStore()
    app = make_app(store=store)
    async with _client(app) as c:
        # ASGITransport runs the app in this task: the caller's own timeout cancels it.
        with anyio.move_on_after(0.05) as scope:
            await c.post("/api/v1/wait", headers=_headers(mint, "k8"))
    assert scope.cancelled_caught
    assert store.entries == {}


async def test_a_client_gone_before_its_body_arrived_leaves_the_key_unused(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    """A caller whose attempt timed out while the request queued has disconnected before
    the server read the body. The key must stay free: claiming it with an empty payload made
    the caller's retry a 422 "key reused", and a saga then took the payment as refused
    (found by the banking-latency chaos scenario)."""
    store = InMemoryIdempotencyStore()
    app = make_app(store=store)
    sent: list[dict[str, Any]] = []
    headers = _headers(mint, "k9")

    async def gone() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def capture(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/payments",
        "raw_path": b"/api/v1/payments",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-type", b"application/json"), (b"host", b"t")],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }
    await app(scope, gone, capture)
    assert store.entries == {}
    assert probe.executions == 0
    async with _client(app) as c:
        retry = await c.post(
            "/api/v1/payments", json={"amount": 5, "currency": "USD"}, headers=headers
        )
    assert retry.status_code == 201, retry.text
    assert probe.executions == 1


async def test_a_route_that_reads_the_key_itself_owns_it(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    """One owner per route: the middleware neither claims nor stores for it."""
    store = InMemoryIdempotencyStore()
    async with _client(make_app(store=store)) as c:
        for _ in range(2):
            response = await c.post("/api/v1/owned", headers=_headers(mint, "k-owned"))
            assert response.status_code == 200
            assert response.json()["key"] == "k-owned"
    assert probe.executions == 2  # the route decided; the middleware replayed nothing
    assert store.entries == {}


class _Sealer:
    """An envelope cipher in memory: one key per (tenant, subject), shreddable."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], str] = {}

    def encrypt(self, tenant: str, subject: str, field: str, plaintext: str) -> str:
        key = self.keys.setdefault((tenant, subject), f"{len(self.keys)}")
        return f"{key}:{field}:" + plaintext.encode().hex()

    def decrypt(self, tenant: str, subject: str, field: str, token: str) -> str:
        key, sealed_field, hexed = token.split(":")
        if self.keys.get((tenant, subject)) != key or sealed_field != field:
            raise LookupError("shredded")
        return bytes.fromhex(hexed).decode()


async def test_stored_responses_are_sealed_and_die_with_their_subjects_key(
    make_app: Any, mint: Mint, probe: Any
) -> None:
    store, sealer = InMemoryIdempotencyStore(), _Sealer()
    headers = {**_headers(mint, "k-sealed"), "content-type": "application/json"}
    body = b'{"amount": 7, "currency": "EUR"}'
    async with _client(make_app(store=store, idempotency_sealer=sealer)) as c:
        first = await c.post("/api/v1/payments", content=body, headers=headers)
        [(record_key, entry)] = store.entries.items()
        assert entry.response is not None
        assert b"amount" not in entry.response.body  # nothing in clear at rest
        assert "alice" not in record_key  # the key is hashed
        assert "k-sealed" not in record_key
        replay = await c.post("/api/v1/payments", content=body, headers=headers)
        assert (replay.status_code, replay.json()) == (201, first.json())
        sealer.keys.clear()  # the subject was erased: its data key is gone
        erased = await c.post("/api/v1/payments", content=body, headers=headers)
    assert (erased.status_code, erased.json()["type"]) == (410, "urn:lift:problem:replay-erased")
    assert probe.executions == 1


async def test_a_replay_of_pending_work_points_at_it_instead_of_a_stale_snapshot(
    client: httpx.AsyncClient, mint: Mint, probe: Any
) -> None:
    first = await client.post("/api/v1/accepted", headers=_headers(mint, "k-pending"))
    assert first.status_code == 202
    again = await client.post("/api/v1/accepted", headers=_headers(mint, "k-pending"))
    assert again.status_code == 303
    assert again.headers["location"] == "/api/v1/jobs/42"
    assert again.headers["idempotent-replayed"] == "true"
    assert probe.executions == 1
