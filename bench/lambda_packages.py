"""Process start to first response of each packaged Lambda handler vs bare FastAPI+Mangum.

Both sides run the same way: a fresh ``python -I -S`` whose path is one directory (the
unpacked service zip, or a directory holding only FastAPI, Mangum and a two-route app, at
the versions the lock pins), byte-compiled, answering one API Gateway v2 event for
``GET /health/live``. Timed from the parent's spawn to the child's response
(``bench.harness.first_response``), not to its exit; median of ``rounds``. Goals: each
service at most 2.0x bare and 1.15x the dependency floor (issue 10 first asked 1.3x bare).

A further side, the dependency floor, is the bare app run from healthcare's unpacked zip
after importing the libraries that healthcare and e-commerce import at start (PynamoDB,
pydantic-settings, PyJWT with cryptography, httpx, tenacity, pybreaker; the OpenTelemetry
SDK only when something exports, so not here) and making one DynamoDB client: what the
chosen libraries cost before any Lift code runs.
"""

from __future__ import annotations

import compileall
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from devtools.package import build, uv_run
from tests.lambda_events import http_api_v2

from bench.harness import PEAK_RSS_KIB, first_response, median, print_table, save

SERVICES = ("banking", "healthcare", "ecommerce")
CHILD = f"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from types import SimpleNamespace
import importlib
handler = importlib.import_module(sys.argv[2]).handler
result = handler(json.loads(sys.argv[3]), SimpleNamespace(aws_request_id="cold-1"))
answered = time.monotonic()
assert result["statusCode"] == 200, result
print({PEAK_RSS_KIB})
print(answered)
"""
BARE = """
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/health/live")
async def live():
    return {"status": "ok"}


handler = Mangum(app, lifespan="off")
"""
FLOOR = (
    """
import httpx, jwt, jwt.algorithms, pybreaker, pydantic_settings, tenacity
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model


class Item(Model):
    class Meta:
        table_name = "floor"
        region = "us-east-1"
        host = "http://127.0.0.1:9"

    pk = UnicodeAttribute(hash_key=True)


client = Item._get_connection().connection.client
"""
    + BARE
)


def _bare_dir(tmp: Path) -> Path:
    locked = uv_run(
        "export",
        "--frozen",
        "--package",
        "lift-core",
        "--no-dev",
        "--no-hashes",
        "--no-header",
        "--no-annotate",
        "--quiet",
    ).splitlines()
    pins = [line for line in locked if line.split("==")[0] in ("fastapi", "mangum")]
    target = tmp / "bare"
    uv_run("pip", "install", "--quiet", "--target", str(target), *pins)
    (target / "bare_handler.py").write_text(BARE)
    compileall.compile_dir(target, quiet=2, workers=0)
    return target


def _time(path: Path, module: str, env: dict[str, str], event: str) -> tuple[float, int]:
    """Seconds to the first response, and the child's peak RSS in KiB."""
    argv = [sys.executable, "-I", "-S", "-c", CHILD, str(path), module, event]
    seconds, output = first_response(argv, env=env)
    return seconds, int(output[-1])


def run(*, rounds: int = 7) -> dict[str, Any]:
    event = json.dumps(http_api_v2("GET", "/health/live", {"host": "api.example.com"}, None))
    env = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LIFT_ENVIRONMENT": "test",
        # Tables and the KMS key exist in a deployment: nothing is created at start-up.
        "LIFT_KMS_KEY_ID": "alias/bench",
        "LIFT_DYNAMODB_ENDPOINT": "http://127.0.0.1:9",
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        targets = {"bare FastAPI+Mangum": (_bare_dir(tmp), "bare_handler")}
        sizes = {}
        for service in SERVICES:
            archive = build(service, "x86_64", tmp / "dist")
            sizes[service] = archive.stat().st_size / 2**20
            unpacked = tmp / service
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(unpacked)
            targets[service] = (unpacked, f"{service}.lambda_handler")
        floor = tmp / "healthcare" / "floor_handler.py"
        floor.write_text(FLOOR)
        compileall.compile_file(floor, quiet=2)
        targets["dependency floor"] = (floor.parent, "floor_handler")
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in targets}
        for _ in range(rounds):  # interleaved, so drift hits every target alike
            for name, (path, module) in targets.items():
                samples[name].append(_time(path, module, {**env, "LIFT_SERVICE_NAME": name}, event))

    def seconds_and_mib(name: str) -> tuple[float, float]:
        return median([s[0] for s in samples[name]]), median([s[1] for s in samples[name]]) / 1024

    bare, bare_mib = seconds_and_mib("bare FastAPI+Mangum")
    floor_seconds, floor_mib = seconds_and_mib("dependency floor")
    rows = [
        ["bare FastAPI+Mangum", f"{bare:.3f}", "", "", f"{bare_mib:.0f}", ""],
        [
            "dependency floor",
            f"{floor_seconds:.3f}",
            f"{floor_seconds / bare:.2f}x",
            "",
            f"{floor_mib:.0f}",
            "",
        ],
    ]
    for service in SERVICES:
        seconds, mib = seconds_and_mib(service)
        rows.append(
            [
                service,
                f"{seconds:.3f}",
                f"{seconds / bare:.2f}x (goal <= 2.0x)",
                f"{seconds / floor_seconds:.2f}x (goal <= 1.15x)",
                f"{mib:.0f}",
                f"{sizes[service]:.1f}",
            ]
        )
    table = print_table(
        f"Packaged Lambda handlers: process start to first response (median of {rounds})",
        ["handler", "seconds", "vs bare", "vs floor", "peak RSS MiB", "zip MiB"],
        rows,
    )
    data = {"samples": samples, "bare_seconds": bare, "zip_mib": sizes}
    save("lambda_packages", data, table)
    return data
