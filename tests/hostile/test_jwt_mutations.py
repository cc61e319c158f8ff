"""Bearer tokens mutated every way a forger would, against every service and the same
verifier they all share: every JOSE header field and every claim replaced by every JSON
type (or removed), ``alg=none``, HS256 keyed with the public key, unknown and foreign
``kid``, expired, not yet valid, wrong ``aud``/``iss``, oversized and malformed tokens.

Signed with the issuer's real key, so only the verifier's rules stand between the forger and
the data. The oracle: never a 5xx; a token that breaks a rule the verifier enforces is 401
problem+json that repeats nothing of it.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import HMACAlgorithm, RSAAlgorithm
from starlette.testclient import TestClient
from tests.inprocess import SERVICES, Estate

from lift_core.devidentity import DevIssuer

pytestmark = [pytest.mark.integration]

MARKER = "ZQX"
JSON_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**64,
    1e400,  # json.dumps writes Infinity
    1.5,
    "",
    MARKER,
    MARKER * 3000,
    [],
    ["RS256"],
    [MARKER, {"a": 1}],
    {},
    {"alg": "RS256"},
    [[[[[[[[[[MARKER]]]]]]]]]],
]
HEADER_FIELDS = ["alg", "kid", "typ", "cty", "crit", "jku", "x5u", "b64"]
CLAIM_FIELDS = ["iss", "aud", "sub", "tenant_id", "roles", "scope", "exp", "iat", "nbf", "jti"]
_REMOVED = object()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 256


# Whether the verifier must refuse the token once a claim holds a value (the rest of the
# token valid and signed). Fields Lift does not read may hold anything.
_REFUSE: dict[str, Any] = {
    "iss": lambda v: True,  # the valid value is the only one, and it was replaced or removed
    "aud": lambda v: True,
    "sub": lambda v: not _is_name(v),
    "tenant_id": lambda v: not _is_name(v),
    "roles": lambda v: (
        v is not _REMOVED and not (isinstance(v, list) and all(_is_name(r) for r in v))
    ),
    "scope": lambda v: v is not _REMOVED and not isinstance(v, str),
    "exp": lambda v: not (_is_number(v) and v > time.time()),
    "iat": lambda v: v is _REMOVED or not (_is_number(v) or isinstance(v, bool)) or v > time.time(),
    "nbf": lambda v: (
        v is not _REMOVED and (not (_is_number(v) or isinstance(v, bool)) or v > time.time())
    ),
}


def _must_refuse(field: str, value: Any) -> bool:
    rule = _REFUSE.get(field)
    return bool(rule(value)) if rule else False


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _sign(key: rsa.RSAPrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(signing_input.encode(), key)
    return f"{signing_input}.{_b64(signature)}"


def _segment(value: Any) -> str:
    return _b64(json.dumps(value).encode())


def _hs256(secret: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """Algorithm confusion: an HMAC "signature" keyed with the issuer's public key."""
    signing_input = f"{_segment({**header, 'alg': 'HS256'})}.{_segment(claims)}"
    mac = HMACAlgorithm(HMACAlgorithm.SHA256).sign(signing_input.encode(), secret)
    return f"{signing_input}.{_b64(mac)}"


def _valid(issuer: DevIssuer) -> tuple[dict[str, Any], dict[str, Any]]:
    now = int(time.time())
    header = {"alg": "RS256", "kid": issuer.kid, "typ": "JWT"}
    claims = {
        "iss": issuer.settings.issuer,
        "aud": issuer.settings.audience,
        "sub": "forger",
        "tenant_id": "acme",
        "roles": ["admin"],
        "scope": "",
        "iat": now,
        "exp": now + 600,
    }
    return header, claims


def _mutations(issuer: DevIssuer) -> list[tuple[str, str, bool]]:
    """(what, token, must be refused)."""
    header, claims = _valid(issuer)
    key = issuer.private_key
    out: list[tuple[str, str, bool]] = []
    for part, fields in (("header", HEADER_FIELDS), ("claim", CLAIM_FIELDS)):
        for field in fields:
            for value in [*JSON_VALUES, _REMOVED]:
                h, c = dict(header), dict(claims)
                target = h if part == "header" else c
                original = target.get(field, _REMOVED)
                if value is _REMOVED:
                    target.pop(field, None)
                else:
                    target[field] = value
                if target.get(field, _REMOVED) == original:
                    continue
                enforced = part == "header" and field in {"alg", "kid"}
                enforced = enforced or (part == "claim" and _must_refuse(field, value))
                out.append((f"{part} {field}={value!r:.30}", _sign(key, h, c), enforced))
    now = int(time.time())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = issuer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    specials = {
        "alg none": f"{_segment({**header, 'alg': 'none'})}.{_segment(claims)}.",
        "HS256 keyed with the public PEM": _hs256(public_pem, header, claims),
        "unknown kid": _sign(key, {**header, "kid": MARKER + "unknown"}, claims),
        "foreign key, real kid": _sign(other, header, claims),
        "expired": _sign(key, header, {**claims, "exp": now - 3600}),
        "not yet valid": _sign(key, header, {**claims, "nbf": now + 3600}),
        "issued in the future": _sign(key, header, {**claims, "iat": now + 3600}),
        "wrong aud": _sign(key, header, {**claims, "aud": MARKER}),
        "aud list without ours": _sign(key, header, {**claims, "aud": [MARKER, "other"]}),
        "wrong iss": _sign(key, header, {**claims, "iss": "https://" + MARKER}),
        "oversized": _sign(key, header, {**claims, "pad": MARKER * 4000}),
        "two segments": _sign(key, header, claims).rsplit(".", 1)[0],
        "four segments": _sign(key, header, claims) + "." + MARKER,
        "empty signature": _sign(key, header, claims).rsplit(".", 1)[0] + ".",
        "not base64": f"{MARKER}!!.{MARKER}??.{MARKER}",
        "header not JSON": f"{_b64(MARKER.encode())}.{_b64(json.dumps(claims).encode())}.x",
        "header a JSON list": _sign(key, [header], claims),  # type: ignore[arg-type]
        "claims a JSON list": _sign(key, header, [claims]),  # type: ignore[arg-type]
        "deep header": f"{_b64(b'[' * 3000)}.{_b64(b'{}')}.x",
    }
    out += [(what, token, True) for what, token in specials.items()]
    return out


def _protected_get(app: Any) -> str:
    """The first authenticated GET without path parameters: any one will do, the verifier
    runs before routing."""
    for path, operations in app.openapi()["paths"].items():
        get = operations.get("get")
        if get and get.get("security") and "{" not in path:
            return str(path)
    raise AssertionError("no authenticated GET route")


def _check(failures: list[str], what: str, response: httpx.Response, refused: bool) -> None:
    status = response.status_code
    if status >= 500:
        failures.append(f"{what}: {status}")
    elif refused and status != 401:
        failures.append(f"{what}: {status}, expected 401")
    elif status == 401:
        if response.headers.get("content-type") != "application/problem+json":
            failures.append(f"{what}: 401 is not problem+json")
        if MARKER.lower() in response.text.lower():
            failures.append(f"{what}: 401 echoes the token: {response.text[:120]}")


@pytest.mark.parametrize("service", SERVICES)
def test_no_forged_token_gets_in_or_gets_a_5xx(
    service: str, estate: Estate, issuer: DevIssuer, record_property: Any
) -> None:
    app = estate.apps[service]
    client = TestClient(app, raise_server_exceptions=False)
    url = _protected_get(app)
    header, claims = _valid(issuer)
    good = client.get(
        url, headers={"Authorization": f"Bearer {_sign(issuer.private_key, header, claims)}"}
    )
    # The baseline: the unmutated token gets past the verifier (the route may still say no).
    assert good.status_code not in (401, 500), good.text
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    mutations = _mutations(issuer)
    for what, token, refused in mutations:
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        statuses[response.status_code] += 1
        _check(failures, what, response, refused)
    for scheme in ("Bearer", "bearer", "Basic", "Bearer  ", "Token", MARKER):
        response = client.get(url, headers={"Authorization": f"{scheme} {MARKER}"})
        statuses[response.status_code] += 1
        _check(failures, f"scheme {scheme!r}", response, True)
    requests = sum(statuses.values())
    line = (
        f"jwt-mutations[{service}]: {requests} requests, "
        f"{sum(n for s, n in statuses.items() if s >= 500)} 5xx, "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    print(line)
    record_property("jwt_mutations", line)
    assert requests > 200
    assert not failures, "\n".join(failures[:40])
