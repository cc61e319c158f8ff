"""Opaque, tamper-proof page cursors: the one paging mechanism of every Lift listing.

A cursor is the listing's resume position (a DynamoDB ``LastEvaluatedKey``, a sequence
number, an id: whatever JSON the listing needs) sealed with HMAC-SHA256 under a key derived
from the service's ``LIFT_BLIND_INDEX_KEY``. The MAC also covers the cursor's *scope*: the
caller's tenant and subject, the route and every other query parameter. So a cursor is
refused, as 400 ``invalid-cursor`` and before any JSON is parsed, when it was forged or
edited, when another caller replays it, or when it is sent to another listing or with other
filters. What is
inside is therefore always something this service wrote, never client input.

Routes take ``cursor: PageCursor``, hand ``cursor.start`` to the use case and return
``cursor.answer(items, last)``, declared as ``CursorPage[ItemOut]``: every listing's body has
that one shape.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from lift_core import context
from lift_core.errors import BadRequest

MAX_CURSOR_CHARS = 2048
T = TypeVar("T")
_MAC_BYTES = 16


class InvalidCursor(BadRequest):
    slug = "invalid-cursor"

    def __init__(self) -> None:
        super().__init__("The cursor is not one this listing issued; start again without it.")


class CursorSealer:
    """Seals and opens cursors with one key (every instance of a service shares it)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a cursor key needs at least 32 bytes")
        self._key = key

    @classmethod
    def from_secret(cls, secret: bytes) -> CursorSealer:
        """A sealer keyed by a subkey of ``secret`` (the service's blind-index key), so no
        second secret has to be provisioned and neither use can stand in for the other."""
        return cls(hmac.new(secret, b"lift_core.pagination cursor key v1", hashlib.sha256).digest())

    def seal(self, position: Any, scope: str) -> str:
        payload = json.dumps(position, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload, scope))}"

    def open(self, cursor: str, scope: str) -> Any:
        """The position sealed in ``cursor``, or ``InvalidCursor``."""
        encoded, dot, mac = cursor.partition(".")
        if not dot or len(cursor) > MAX_CURSOR_CHARS:
            raise InvalidCursor()
        try:
            payload, given = _unb64(encoded), _unb64(mac)
        except (binascii.Error, ValueError):
            raise InvalidCursor() from None
        if not hmac.compare_digest(given, self._mac(payload, scope)):
            raise InvalidCursor()
        return json.loads(payload)  # ours: the MAC proved it

    def _mac(self, payload: bytes, scope: str) -> bytes:
        message = scope.encode() + b"\0" + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorPage(BaseModel, Generic[T]):
    """One page of a listing (``CursorPage_ProductOut_`` in the OpenAPI document)."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last one."
    )


class Page:
    """The cursor of one listing request: where it starts, and how to say where it ended."""

    def __init__(self, sealer: CursorSealer, scope: str, start: Any) -> None:
        self._sealer = sealer
        self._scope = scope
        self.start = start

    def next(self, position: Any) -> str | None:
        """The ``next_cursor`` to answer: None when the listing is exhausted."""
        return None if position is None else self._sealer.seal(position, self._scope)

    def answer(self, items: Sequence[T], position: Any) -> CursorPage[T]:
        """The page to answer: ``items``, and the cursor that resumes after ``position``."""
        return CursorPage[Any](items=list(items), next_cursor=self.next(position))


def _scope_of(request: Request) -> str:
    ctx = context.current()
    principal = ctx.principal if ctx is not None else None
    who = f"{principal.tenant_id}\0{principal.subject}" if principal else "\0"
    route = getattr(request.scope.get("route"), "path", request.url.path)
    filters = sorted((k, v) for k, v in request.query_params.multi_items() if k != "cursor")
    # ``limit`` may change from page to page; every other parameter is part of the listing.
    filters = [(k, v) for k, v in filters if k != "limit"]
    return f"{who}\0{route}\0{json.dumps(filters)}"


async def page_cursor(
    request: Request,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_CHARS,
            description="`next_cursor` of the previous page, as it was given (opaque).",
        ),
    ] = None,
) -> Page:
    sealer: CursorSealer = request.app.state.cursor_sealer
    scope = _scope_of(request)
    start = sealer.open(cursor, scope) if cursor else None
    return Page(sealer, scope, start)


PageCursor = Annotated[Page, Depends(page_cursor)]
# A page's size: every listing takes ``limit: Limit = <its default>``.
Limit = Annotated[int, Query(ge=1, le=100)]
