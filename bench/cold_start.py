"""Process start to first Lambda response: a lift_core service handler vs bare FastAPI+Mangum.

Goal (issue 3): at most 1.3x bare. Each sample is a fresh interpreter that imports the
handler and answers one authenticated API Gateway v2 event; timed from the parent's spawn to
the child's response (``bench.harness.first_response``), not to the child's exit.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from lift_core.config import DevIdentitySettings, Environment
from lift_core.devidentity import DevIssuer, TokenRequest

from bench.apps import JWKS_ENV
from bench.harness import PEAK_RSS_KIB, ROOT, first_response, median, print_table, save

CHILD = """
import json, sys, time
from types import SimpleNamespace
from bench.lambda_targets import {target} as make
handler = make()
event = json.loads(sys.argv[1])
result = handler(event, SimpleNamespace(aws_request_id="cold-1"))
answered = time.monotonic()
assert result["statusCode"] == 200, result
print({peak})
print(answered)
"""


def _event(token: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/v1/ping",
        "rawQueryString": "",
        "headers": {"authorization": f"Bearer {token}", "host": "api.example.com"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": "/api/v1/ping",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "bench",
            },
            "requestId": "r",
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def run(*, rounds: int = 7) -> dict[str, Any]:
    issuer = DevIssuer(
        DevIdentitySettings(environment=Environment.TEST),
        private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    token = issuer.mint(TokenRequest(tenant_id="acme", subject="bench")).access_token
    event = json.dumps(_event(token))
    samples: dict[str, list[tuple[float, int]]] = {"bare": [], "lift": []}
    with tempfile.TemporaryDirectory() as tmp:
        jwks = Path(tmp) / "jwks.json"
        jwks.write_text(json.dumps(issuer.jwks()))
        env = {"PATH": "", JWKS_ENV: str(jwks)}
        # One unrecorded round first: it writes the .pyc files a Lambda zip ships compiled.
        for i in range(rounds + 1):
            for name, runs in samples.items():
                code = CHILD.format(target=f"{name}_handler", peak=PEAK_RSS_KIB)
                elapsed, output = first_response(
                    [sys.executable, "-c", code, event], env=env, cwd=ROOT
                )
                if i:
                    runs.append((elapsed, int(output[-1])))
    summary = {
        name: {
            "seconds": median([s[0] for s in runs]),
            "max_rss_mib": median([s[1] for s in runs]) / 1024,
        }
        for name, runs in samples.items()
    }
    ratio = summary["lift"]["seconds"] / summary["bare"]["seconds"]
    table = print_table(
        f"Cold start: process start to first Lambda response (median of {rounds})",
        ["handler", "seconds", "max RSS MiB"],
        [[name, f"{s['seconds']:.3f}", f"{s['max_rss_mib']:.0f}"] for name, s in summary.items()]
        + [["lift / bare", f"{ratio:.2f}x (goal <= 1.3x)", ""]],
    )
    data = {"summary": summary, "ratio_seconds": ratio, "samples": samples}
    save("cold_start", data, table)
    return data
