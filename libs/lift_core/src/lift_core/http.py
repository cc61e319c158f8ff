"""The one way Lift code makes an httpx client: verifying TLS with one context per process
(its spans come from the httpx instrumentation when spans are exported, see telemetry).

httpx builds a new SSL context for every client it is not handed one, loading certifi's CA
bundle (or ``SSL_CERT_FILE``) each time: 25-29 ms and up to 0.8 MiB of RSS, measured here
from a service's Lambda zip. A service makes two clients at start (mesh and service tokens)
and one per JWKS refresh; with this they share one context, as OpenSSL allows between
clients and threads.

No client keeps cookies. One client serves every caller of a process (the mesh's is shared
by every tenant's requests), so a cookie one answer set would ride on everyone's later calls;
service-to-service calls authenticate with tokens. Skipping the jar also saves about 9 us a
call (httpx otherwise runs every response through ``http.cookiejar``).
"""

from __future__ import annotations

import functools
import ssl
from http.cookiejar import Cookie, CookieJar
from typing import Any

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's verifying client context, built as httpx builds its default one."""
    return httpx.create_ssl_context()


class _NoCookies(CookieJar):
    """A jar that takes no cookie and gives none."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


def http_client(**options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with ``options`` (timeout, limits, transport...) on the
    shared TLS context, keeping no cookies."""
    return httpx.AsyncClient(verify=tls_context(), cookies=_NoCookies(), **options)
