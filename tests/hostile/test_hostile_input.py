"""Every operation of every service's OpenAPI document, attacked with what a hostile caller
sends: overlong and control-character ids, JSON bombs (depth, width, size), every field of
every body replaced by every JSON type, NaN and Infinity, huge integers, unicode, NUL bytes,
duplicate keys, wrong content types, CRLF in headers, hostile query values.

Generated from the documents and hypothesis strategies, so a route added tomorrow is
attacked too. The oracle: never a 5xx; every refusal is ``application/problem+json`` and
repeats nothing of the input (every hostile value carries the marker ``ZQX``).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from tests.inprocess import ROLES, SERVICES, Estate

pytestmark = [pytest.mark.integration]

MARKER = "ZQX"
UNSAFE = {"post", "put", "patch", "delete"}

HOSTILE_IDS = [
    MARKER + "A" * 5000,
    f"{MARKER}\x00nul",
    f"{MARKER}\x1b[31mansi",
    f"{MARKER}' OR '1'='1",
    f"{MARKER}../../etc/passwd",
    f"{MARKER}\u202e\ufeff\U0001f4a9",
    f"{MARKER}%00%0d%0a",
    f"{MARKER}<script>",
]
HOSTILE_JSON_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    1.5,
    "",
    MARKER + "x" * 70_000,
    f"{MARKER}\x00\x1b\r\n",
    [],
    [MARKER],
    {},
    {MARKER: MARKER},
    [[[[[[MARKER]]]]]],
]
RAW_BODIES: list[tuple[bytes, str]] = [
    (b"[" * 100_000, "application/json"),
    (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "application/json"),
    (b"{" + b",".join(b'"k%d":1' % i for i in range(8_000)) + b"}", "application/json"),
    (b'{"amount": NaN, "' + MARKER.encode() + b'": Infinity}', "application/json"),
    (b'{"amount": ' + b"9" * 5_000 + b"}", "application/json"),
    (b'{"id": "' + MARKER.encode() + b'", "id": "' + MARKER.encode() + b'2"}', "application/json"),
    (b"\xff\xfe" + MARKER.encode(), "application/json"),
    (b'{"' + MARKER.encode() + b'": 1', "application/json"),
    (("a=" + MARKER).encode(), "application/x-www-form-urlencoded"),
    (json.dumps({MARKER: 1}).encode(), "text/plain"),
    (b"x" * 2_000_000, "application/json"),
]


def _operations(app: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def _fill(path: str, value: str) -> str:
    out, rest = "", path
    while "{" in rest:
        before, _, after = rest.partition("{")
        _, _, rest = after.partition("}")
        out += before + urllib.parse.quote(value, safe="")
    return out + rest


def _body_properties(app: Any, operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = app.openapi()["components"]["schemas"][name]
    return list(schema.get("properties", {}))


class Tally:
    def __init__(self) -> None:
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []

    def check(self, what: str, response: httpx.Response) -> None:
        self.requests += 1
        self.statuses[response.status_code] += 1
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{what}: {status} {response.text[:200]}")
        elif status >= 400:
            if response.headers.get("content-type") != "application/problem+json":
                self.failures.append(f"{what}: {status} is not problem+json")
            if MARKER.lower() in response.text.lower():
                self.failures.append(f"{what}: {status} echoes the input: {response.text[:200]}")


HOSTILE = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text().map(lambda t: MARKER + t),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=8).map(lambda t: MARKER + t), inner, max_size=5)
    ),
    max_leaves=30,
)


def _random_bodies(
    client: TestClient, tally: Tally, method: str, url: str, auth: dict[str, str]
) -> Any:
    @HOSTILE
    @given(body=JSON)
    def random_body(body: Any) -> None:
        response = client.request(
            method, url, json=body, headers={**auth, "Idempotency-Key": f"h{tally.requests}"}
        )
        tally.check(f"{method.upper()} {url} random body", response)

    return random_body


@pytest.mark.parametrize("service", [*SERVICES, "identity"])
def test_no_hostile_input_gets_a_5xx_or_an_echo(
    service: str,
    estate: Estate,
    record_property: Any,
) -> None:
    app = estate.apps[service]
    tally = Tally()
    auth = {"Authorization": f"Bearer {estate.token(service)}"}
    with TestClient(app, raise_server_exceptions=False) as _client:
        pass  # lifespan started and stopped once: the background jobs are not under test
    client = TestClient(app, raise_server_exceptions=False)

    for method, path, operation in _operations(app):
        op = f"{method.upper()} {path}"
        has_body = "requestBody" in operation
        for hostile in HOSTILE_IDS if "{" in path else [None]:
            url = _fill(path, hostile) if hostile else path
            tally.check(f"{op} id={hostile!r:.40}", client.request(method, url, headers=auth))
            if has_body:
                for raw, content_type in RAW_BODIES:
                    for headers in (auth, {}):  # authenticated or not, the body is bounded
                        response = client.request(
                            method,
                            url,
                            content=raw,
                            headers={
                                **headers,
                                "content-type": content_type,
                                "Idempotency-Key": f"{MARKER}-{tally.requests}",
                            },
                        )
                        tally.check(f"{op} raw body {raw[:30]!r}", response)
        concrete = _fill(path, "x1")
        for name in _body_properties(app, operation) if has_body else []:
            for value in HOSTILE_JSON_VALUES:
                body = dict.fromkeys(_body_properties(app, operation), MARKER) | {name: value}
                response = client.request(
                    method,
                    concrete,
                    json=body,
                    headers={**auth, "Idempotency-Key": f"k{tally.requests}"},
                )
                tally.check(f"{op} {name}={value!r:.40}", response)
        for param in operation.get("parameters", []):
            if param.get("in") != "query":
                continue
            for value in [
                *HOSTILE_IDS,
                "9999-12-31T23:59:59-14:00",
                "0001-01-01T00:00:00+14:00",
                "-1",
                "1e400",
                "NaN",
            ]:
                response = client.request(
                    method, concrete, params={param["name"]: value}, headers=auth
                )
                tally.check(f"{op} ?{param['name']}={value!r:.40}", response)
        # CRLF and NUL smuggled into headers the stack reads.
        for header in (
            "x-request-id",
            "idempotency-key",
            "x-tenant-id",
            "x-lift-deadline-ms",
            "traceparent",
            "content-length",
        ):
            scope_headers = [(k.lower().encode(), v.encode()) for k, v in auth.items()]
            scope_headers.append((header.encode(), f"{MARKER}\r\nx-evil: 1\x00".encode()))
            response = client.request(method, concrete, headers=scope_headers)
            tally.check(f"{op} {header} CRLF", response)

        if has_body:
            _random_bodies(client, tally, method, concrete, {**auth})()

    line = (
        f"hostile-input[{service}]: {tally.requests} requests, "
        f"{sum(n for s, n in tally.statuses.items() if s >= 500)} 5xx, "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    print(line)
    record_property("hostile_input", line)
    assert tally.requests > (100 if service == "identity" else 1000)
    assert not tally.failures, "\n".join(tally.failures[:40])


@pytest.mark.parametrize("service", [*SERVICES, "identity"])
def test_a_method_a_path_does_not_serve_is_a_405_naming_every_one_it_does(
    service: str, estate: Estate
) -> None:
    """For every documented path, each method no documented template matching it serves:
    405 problem+json whose ``Allow`` lists exactly the served ones (``/products/search``
    is also ``/products/{id}``, so PUT is served there), never a 5xx, never a route run."""
    app = estate.apps[service]
    # A tenant of its own: the suites before it may have spent the estate tenant's rate
    # limit, and a 429 is answered before routing.
    token = estate.mint(f"methods-{service}", "fuzzer", roles=ROLES[service])
    auth = {"Authorization": f"Bearer {token}"}
    client = TestClient(app, raise_server_exceptions=False)
    documented = {
        re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"): operations
        for path, operations in app.openapi()["paths"].items()
    }
    wrong = []
    for path in app.openapi()["paths"]:
        url = _fill(path, "x1")
        served = sorted(
            {m.upper() for regex, ops in documented.items() if regex.match(url) for m in ops}
        )
        for method in sorted({"GET", "PUT", "POST", "DELETE", "PATCH"} - set(served)):
            response = client.request(method, url, headers=auth)
            got = (
                response.status_code,
                response.headers.get("content-type"),
                response.headers.get("allow"),
            )
            if got != (405, "application/problem+json", ", ".join(served)):
                wrong.append(f"{method} {url}: {got}")
    assert not wrong, "\n".join(wrong)
