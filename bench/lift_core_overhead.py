"""lift_core's full stack vs a bare FastAPI app: same route, server and load generator.

Goal (issue 3): the authenticated no-I/O route keeps at least 85% of bare requests/s.
Runs alternate bare and lift so drift on a noisy machine hits both alike.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from lift_core.config import DevIdentitySettings, Environment
from lift_core.devidentity import DevIssuer, TokenRequest

from bench.apps import JWKS_ENV
from bench.harness import median, print_table, save, uvicorn_server, wrk


def run(*, seconds: int = 5, rounds: int = 3, connections: int = 32) -> dict[str, Any]:
    issuer = DevIssuer(
        DevIdentitySettings(environment=Environment.TEST),
        private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    token = issuer.mint(TokenRequest(tenant_id="acme", subject="bench")).access_token
    with tempfile.TemporaryDirectory() as tmp:
        jwks = Path(tmp) / "jwks.json"
        jwks.write_text(json.dumps(issuer.jwks()))
        env = {JWKS_ENV: str(jwks)}
        samples: dict[str, list[dict[str, Any]]] = {"bare": [], "lift": []}
        targets = {"bare": "bench.bare:bare_app", "lift": "bench.apps:lift_app"}
        for _ in range(rounds):
            for name, factory in targets.items():
                with uvicorn_server(factory, env) as url:
                    headers = {"Authorization": f"Bearer {token}"}
                    wrk(f"{url}/api/v1/ping", seconds=1, connections=connections, headers=headers)
                    result = wrk(
                        f"{url}/api/v1/ping",
                        seconds=seconds,
                        connections=connections,
                        headers=headers,
                    )
                    if result["errors"]:
                        raise RuntimeError(f"{name}: {result['errors']} failed requests")
                    samples[name].append(result)
    summary = {
        name: {
            "rps": median([s["rps"] for s in runs]),
            "p50_ms": median([s["p50_ms"] for s in runs]),
            "p99_ms": median([s["p99_ms"] for s in runs]),
        }
        for name, runs in samples.items()
    }
    ratio = summary["lift"]["rps"] / summary["bare"]["rps"]
    table = print_table(
        f"lift_core stack vs bare FastAPI (uvicorn 1 worker, wrk -t1 -c{connections}, "
        f"median of {rounds} x {seconds}s)",
        ["app", "req/s", "p50 ms", "p99 ms"],
        [
            [name, f"{s['rps']:,.0f}", f"{s['p50_ms']:.2f}", f"{s['p99_ms']:.2f}"]
            for name, s in summary.items()
        ]
        + [["lift / bare", f"{ratio:.1%} (goal >= 85%)", "", ""]],
    )
    data = {"summary": summary, "ratio_rps": ratio, "samples": samples}
    save("lift_core_overhead", data, table)
    return data
