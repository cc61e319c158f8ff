"""Each service's Lambda zip, loaded with nothing but the zip's contents (and the standard
library) on ``sys.path``, serves API Gateway v1, v2 and ALB events against the emulator:
a route, an auth failure and a validation failure each answer the right status and body."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from devtools.package import build
from tests.lambda_events import alb, api_gateway_v1, http_api_v2

from lift_core.dynamo import AWS_SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# (service, role, route that answers 200, validation failure that answers 422)
CASES = {
    "banking": (
        "customer",
        ("GET", "/api/v1/accounts", None),
        ("POST", "/api/v1/accounts", {"type": "loan", "currency": "EUR"}),
    ),
    "healthcare": (
        "admin",
        ("PUT", "/api/v1/clinic", {"merchant_account_id": "acc_1", "currency": "EUR"}),
        (
            "POST",
            "/api/v1/providers",
            {"npi": "123", "name": "X", "kind": "clinician", "subject": "x"},
        ),
    ),
    "ecommerce": (
        "customer",
        ("GET", "/api/v1/products", None),
        ("POST", "/api/v1/cart/items", {"product_id": "p", "quantity": "two"}),
    ),
}

# Runs in a fresh interpreter: -I -S keep the environment, the working directory and every
# site-packages out, so the path is the zip's directory plus the standard library only.
_RUNNER = """
import json, sys
assert not [p for p in sys.path if "site-packages" in p], sys.path
sys.path.insert(0, sys.argv[1])
events = json.loads(sys.stdin.read())
import importlib
module = importlib.import_module(sys.argv[2] + ".lambda_handler")
import fastapi, pydantic, pynamodb
outside = [m.__file__ for m in (module, fastapi, pydantic, pynamodb)
           if not m.__file__.startswith(sys.argv[1])]
class Context:
    aws_request_id = "req-1"
    function_name = sys.argv[2]
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:x"
    def get_remaining_time_in_millis(self):
        return 30000
answers = [module.handler(event, Context()) for event in events]
print(json.dumps({"outside": outside, "answers": answers}))
"""


@pytest.fixture(scope="module")
def jwks_url(issuer: Any) -> Iterator[str]:
    body = json.dumps(issuer.jwks()).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


def _body(answer: dict[str, Any]) -> Any:
    import base64

    raw = answer["body"]
    if answer.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


@pytest.mark.parametrize("service", sorted(CASES))
def test_the_zip_alone_serves_lambda_events(
    service: str,
    tmp_path: Path,
    dynamodb_endpoint: str,
    jwks_url: str,
    mint: Callable[..., str],
) -> None:
    archive = build(service, "x86_64", tmp_path / "dist")
    assert archive.stat().st_size < 50 * 2**20
    root = tmp_path / "task"  # what Lambda unpacks to /var/task
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root)
    assert {p.name for p in (root / "botocore" / "data").iterdir() if p.is_dir()} == AWS_SERVICES
    assert not (root / "pydantic" / "v1").exists()  # and the routes below still answer
    role, (ok_method, ok_path, ok_body), (bad_method, bad_path, bad_body) = CASES[service]
    token = {"Authorization": f"Bearer {mint('acme', 'zip-user', roles=[role])}"}
    json_type = {"Content-Type": "application/json"}
    requests = [
        (ok_method, ok_path, {**token, **json_type}, ok_body),
        (ok_method, ok_path, json_type, ok_body),
        (bad_method, bad_path, {**token, **json_type}, bad_body),
    ]
    events = [
        make(method, path, headers, json.dumps(body) if body is not None else None)
        for make in (api_gateway_v1, http_api_v2, alb)
        for method, path, headers, body in requests
    ]
    env = {
        "AWS_ACCESS_KEY_ID": "zip",
        "AWS_SECRET_ACCESS_KEY": "zip",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LIFT_ENVIRONMENT": "test",
        "LIFT_SERVICE_NAME": service,
        "LIFT_DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "LIFT_AUTO_CREATE_TABLES": "true",
        "LIFT_TABLE_PREFIX": f"zip{uuid.uuid4().hex[:8]}-",
        "LIFT_JWKS_URL": jwks_url,
        # Cloud Map, as Registry=cloudmap sets it: the app then makes its servicediscovery
        # client at start, from the botocore models the zip kept (no lookup happens here).
        "LIFT_MESH_CLOUD_MAP_NAMESPACE": "lift-zip",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _RUNNER,
            str(root),
            service,
        ],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    *log_lines, last = done.stdout.strip().splitlines()
    result = json.loads(last)
    loggers = [json.loads(line)["logger"] for line in log_lines]
    # One access line per event: Mangum's own INFO line would double the log bill.
    assert loggers.count("lift.access") == len(events), loggers
    assert "mangum.http" not in loggers, loggers
    assert result["outside"] == []  # nothing came from outside the zip
    answers = result["answers"]
    for i, kind in enumerate(("v1", "v2", "alb")):
        ok, unauthenticated, invalid = answers[3 * i : 3 * i + 3]
        assert ok["statusCode"] == 200, (kind, ok)
        assert unauthenticated["statusCode"] == 401, (kind, unauthenticated)
        assert _body(unauthenticated)["type"] == "urn:lift:problem:unauthorized"
        assert invalid["statusCode"] == 422, (kind, invalid)
        assert _body(invalid)["type"] in ("urn:lift:problem:validation-error",)
    first = _body(answers[0])
    expected: Any = ok_body if service == "healthcare" else {"items": [], "next_cursor": None}
    assert first == expected
