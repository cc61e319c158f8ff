"""Replays the stored response of a repeated unsafe request instead of doing it twice.

Keys are scoped by tenant, caller, method and path. The same key with the same payload
replays the status, headers and body (``Idempotent-Replayed: true``); a different payload is
422; a duplicate while the first is still running is 409 with ``Retry-After``; a 5xx or a
crash releases the key so the client may retry.

A stored 202 (accepted, still pending) with a ``Location`` is replayed as 303 See Other to
it: the client reads the operation's current state, not the snapshot of when it was pending.

One owner per route: a route that reads ``Idempotency-Key`` itself (its use case keeps the
key with the operation, in the same write) is left to it, so no request is claimed twice and
a replay answers the operation's current state, not a stored snapshot.

At rest nothing is in clear: the record's key is a SHA-256 of the scoped key, and with a
``sealer`` (the service's envelope cipher) the stored body is encrypted under the caller's
data key, so erasing the caller crypto-shreds their stored replays too (410 afterwards).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Protocol

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lift_core import context
from lift_core.errors import send_problem
from lift_core.idempotency.store import (
    Begun,
    IdempotencyStore,
    InProgress,
    Mismatch,
    Outcome,
    Replay,
    StoredResponse,
)

IDEMPOTENCY_HEADER = "idempotency-key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REPLAYED_HEADERS = frozenset({"content-type", "location", "etag", "retry-after"})
_log = logging.getLogger("lift.idempotency")
_SEALED_FIELD = "idempotent-response"

# (methods, path regex) of the routes that own their Idempotency-Key (see create_app).
OwnedRoutes = Iterable[tuple[frozenset[str], re.Pattern[str]]]


class ResponseSealer(Protocol):
    """Encrypts a stored response for one (tenant, subject): ``EnvelopeCipher`` is one."""

    def encrypt(self, tenant: str, subject: str, field: str, plaintext: str) -> str: ...

    def decrypt(self, tenant: str, subject: str, field: str, token: str) -> str: ...


def fingerprint(body: bytes) -> str:
    """SHA-256 over canonical JSON, so whitespace and key order do not matter."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store: IdempotencyStore,
        lock_seconds: float,
        sealer: ResponseSealer | None = None,
        owned_routes: Callable[[], OwnedRoutes] = tuple,
    ) -> None:
        self.app = app
        self.store = store
        self.lock_seconds = lock_seconds
        self.sealer = sealer
        self.owned_routes = owned_routes
        self._owned: list[tuple[frozenset[str], re.Pattern[str]]] | None = None

    def _route_owns_key(self, method: str, path: str) -> bool:
        if self._owned is None:  # the routes are all included by the first request
            self._owned = list(self.owned_routes())
        return any(method in methods and regex.match(path) for methods, regex in self._owned)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = context.current_principal()
        key = Headers(scope=scope).get(IDEMPOTENCY_HEADER) if scope["type"] == "http" else None
        if (
            key is None
            or principal is None
            or scope["method"] not in UNSAFE_METHODS
            or self._route_owns_key(scope["method"], scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255:
            await send_problem(
                send, 400, slug="bad-idempotency-key", detail="Idempotency-Key must be 1-255 chars."
            )
            return
        body = await _read_body(receive)
        if body is None:
            # The client left before its body arrived (a caller that timed out while this
            # request queued). Claiming the key with an empty payload would answer the
            # client's retry, with the real body, 422 "key reused": nothing is done.
            _log.info("client disconnected before its request body arrived; key not used")
            return
        digest = fingerprint(body)
        # Scoped to the caller too: another user's identical request must never be answered
        # with this one's stored response.
        scoped = hashlib.sha256(
            f"{principal.tenant_id}\0{principal.subject}\0{scope['method']} {scope['path']}"
            f"\0{key}".encode()
        ).hexdigest()
        outcome = await self.store.begin(scoped, digest, self.lock_seconds)
        if isinstance(outcome, Begun):
            await self._execute(
                scope, body, send, scoped=scoped, digest=digest, principal=principal
            )
        else:
            await self._answer_without_running(send, outcome, principal)

    async def _answer_without_running(
        self, send: Send, outcome: Outcome, principal: context.Principal
    ) -> None:
        if isinstance(outcome, Mismatch):
            await send_problem(
                send,
                422,
                slug="idempotency-key-reused",
                detail="This Idempotency-Key was used with a different request payload.",
            )
        elif isinstance(outcome, InProgress):
            await send_problem(
                send,
                409,
                slug="idempotency-in-progress",
                detail="A request with this Idempotency-Key is still being processed.",
                headers={"Retry-After": str(outcome.retry_after_seconds)},
            )
        elif isinstance(outcome, Replay):
            stored = await self._open(principal, outcome.response)
            if stored is None:
                await send_problem(
                    send,
                    410,
                    slug="replay-erased",
                    detail="The stored answer to this request was erased with the caller's data.",
                )
            elif stored.status == 202 and _location(stored) is not None:
                await _see_other(send, _location(stored) or "")
            else:
                await _send_stored(send, stored, replayed=True)

    async def _seal(self, principal: context.Principal, response: StoredResponse) -> StoredResponse:
        if self.sealer is None:
            return response
        token = await anyio.to_thread.run_sync(
            self.sealer.encrypt,
            principal.tenant_id,
            principal.subject,
            _SEALED_FIELD,
            response.body.decode("latin-1"),
        )
        return StoredResponse(response.status, response.headers, token.encode())

    async def _open(
        self, principal: context.Principal, stored: StoredResponse
    ) -> StoredResponse | None:
        """The response in clear, or None when it can no longer be read (its subject's key
        was shredded)."""
        if self.sealer is None:
            return stored
        try:
            plain = await anyio.to_thread.run_sync(
                self.sealer.decrypt,
                principal.tenant_id,
                principal.subject,
                _SEALED_FIELD,
                stored.body.decode(),
            )
        except Exception as exc:  # SubjectErased, or a record written before sealing
            _log.info("stored idempotent response unreadable: %s", type(exc).__name__)
            return None
        return StoredResponse(stored.status, stored.headers, plain.encode("latin-1"))

    async def _execute(
        self,
        scope: Scope,
        body: bytes,
        send: Send,
        *,
        scoped: str,
        digest: str,
        principal: context.Principal,
    ) -> None:
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            # Shielded: when the request is cancelled (its deadline passed, the client left)
            # an unshielded await would be cancelled too, and the key would stay locked
            # until the lock expired, answering every retry "still being processed".
            with anyio.CancelScope(shield=True):
                await self.store.release(scoped)
            raise
        response = StoredResponse(
            status,
            [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in headers
                if k.decode("latin-1").lower() in _REPLAYED_HEADERS
            ],
            b"".join(chunks),
        )
        # Stored before it is sent: a response the client saw is always replayable.
        if status >= 500:
            await self.store.release(scoped)
        else:
            try:
                await self.store.complete(scoped, digest, await self._seal(principal, response))
            except Exception:
                _log.exception("could not store the idempotent response; the key stays locked")
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when the client disconnected before sending all of it."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _location(response: StoredResponse) -> str | None:
    return next((v for k, v in response.headers if k.lower() == "location"), None)


async def _see_other(send: Send, location: str) -> None:
    """A replay of work that was still pending (202) points at where it stands now, instead
    of repeating a snapshot that may have moved on."""
    headers = [
        (b"location", location.encode("latin-1")),
        (b"content-length", b"0"),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _send_stored(send: Send, response: StoredResponse, *, replayed: bool) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
