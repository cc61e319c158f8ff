"""The one way Lift code makes an httpx client: verifying TLS with one context per process
(its spans come from the httpx instrumentation when spans are exported, see telemetry).

httpx builds a new SSL context for every client it is not handed one, loading certifi's CA
bundle (or ``SSL_CERT_FILE``) each time: 25-29 ms and up to 0.8 MiB of RSS, measured here
from a service's Lambda zip. A service makes two clients at start (mesh and service tokens)
and one per JWKS refresh; with this they share one context, as OpenSSL allows between
clients and threads.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's verifying client context, built as httpx builds its default one."""
    return httpx.create_ssl_context()


def http_client(**options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with ``options`` (timeout, limits, transport...) on the
    shared TLS context."""
    return httpx.AsyncClient(verify=tls_context(), **options)
