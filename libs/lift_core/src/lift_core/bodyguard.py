"""The body guard: every request body bounded and checked once, before anything reads it
(step 4 of ``LiftMiddleware``; ``BodyGuardMiddleware`` alone for the dev identity issuer)."""

from __future__ import annotations

import json
import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lift_core.errors import send_problem

_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True when valid JSON ``body`` nests arrays and objects deeper than ``max_depth``.

    Linear and without recursion, at C speed: strings are cut out (in valid JSON every quote
    outside a string opens one, so the scan never restarts), everything but brackets is
    dropped, then each pass removes the innermost pairs; what is left after ``max_depth``
    passes was nested deeper.
    """
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"").replace(b"{}", b"")
    return bool(brackets)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class BodyGuard:
    """Every request body is bounded and checked once, before anything reads it.

    - over ``max_bytes`` (declared by Content-Length or streamed): 413;
    - not JSON (every Lift API takes JSON only): 415;
    - invalid JSON, NaN or Infinity, integers past Python's digit limit: 400 malformed-json;
    - arrays and objects nested deeper than ``max_depth``: 400 json-too-deep.

    Only then do the recursive readers (FastAPI's parser, the idempotency fingerprint, the
    log redactor) see it, so none can be driven into a RecursionError or a long stall.
    """

    def __init__(self, *, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def admit(
        self,
        receive: Receive,
        send: Send,
        *,
        declared: str | None,
        content_type: str,
        chunked: bool,
    ) -> Receive | None:
        """The ``receive`` the app may read (the checked body, replayed), or None once a
        problem has been sent. ``declared``: the Content-Length header, if any."""
        if declared is not None:
            if not _CONTENT_LENGTH.fullmatch(declared):
                await send_problem(send, 400, slug="bad-request", detail="Bad Content-Length.")
                return None
            if int(declared) > self.max_bytes:
                await self._too_large(send)
                return None
        if declared in (None, "0") and not chunked:
            return receive  # no body: nothing to check
        body = await self._read(receive)
        if body is None:
            await self._too_large(send)
            return None
        if body:
            problem = self._problem_with(body, content_type)
            if problem is not None:
                await send_problem(send, problem[0], slug=problem[1], detail=problem[2])
                return None
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # the disconnect, when the client leaves
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    def _problem_with(self, body: bytes, content_type: str) -> tuple[int, str, str] | None:
        if not _is_json(content_type):
            return 415, "unsupported-media-type", "Send the body as application/json."
        try:
            json.loads(body, parse_constant=_refuse_constant)
        except RecursionError:
            return 400, "json-too-deep", f"JSON may nest at most {self.max_depth} levels."
        except ValueError:  # also UnicodeDecodeError
            return 400, "malformed-json", "The body is not valid JSON."
        if json_too_deep(body, self.max_depth):
            return 400, "json-too-deep", f"JSON may nest at most {self.max_depth} levels."
        return None

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit (the rest is never read)."""
        parts: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(parts)
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                return None
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    async def _too_large(self, send: Send) -> None:
        await send_problem(
            send,
            413,
            slug="payload-too-large",
            detail=f"The request body exceeds {self.max_bytes} bytes.",
        )


class BodyGuardMiddleware:
    """``BodyGuard`` alone, for an app without the rest of the stack (the dev issuer)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.guard = BodyGuard(max_bytes=max_bytes, max_depth=max_depth)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        admitted = await self.guard.admit(
            receive,
            send,
            declared=headers.get("content-length"),
            content_type=headers.get("content-type", ""),
            chunked="transfer-encoding" in headers,
        )
        if admitted is not None:
            await self.app(scope, admitted, send)
