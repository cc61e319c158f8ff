"""``make logs``: readable lines, one request across services in time order, half-written
lines held back, non-JSON lines kept unless filtering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from devtools import logs

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]


def entry(ts: str, service: str, message: str, request: str, **extra: object) -> str:
    return json.dumps(
        {
            "ts": f"2026-12-03T09:44:{ts}Z",
            "level": "INFO",
            "logger": "lift.access",
            "service": service,
            "message": message,
            "request_id": request,
            "correlation_id": request,
            "trace_id": f"trace-{request}",
            "span_id": "s",
            **extra,
        }
    )


def test_a_line_reads_as_time_service_level_message_and_fields() -> None:
    raw = entry(
        "03.333",
        "ecommerce",
        "POST /api/v1/customers 409",
        "65f70accc354",
        tenant_id="globex",
        http={"duration_ms": 20.64},
    )
    assert logs.readable(raw) == (
        "09:44:03.333 ecommerce   INFO    POST /api/v1/customers 409 (20.6 ms) "
        "req=65f70acc trace=trace-65 tenant=globex"
    )
    assert logs.readable("Traceback (most recent call last):", "banking") == (
        "banking     Traceback (most recent call last):"
    )


def test_one_request_across_services_in_time_order(tmp_path: Path) -> None:
    (tmp_path / "banking.log").write_text(
        entry("03.328", "banking", "GET /balance 200", "r1")
        + "\n"
        + entry("03.400", "banking", "GET /accounts 200", "r2")
        + "\n"
    )
    (tmp_path / "ecommerce.log").write_text(
        "uvicorn says hello\n"
        + entry("03.327", "ecommerce", "HTTP Request: GET /balance", "r1")
        + "\n"
        + entry("03.333", "ecommerce", "POST /customers 409", "r1")
        + "\n"
        + '{"ts": "2026-12-03T09:44:09Z", "half": '  # still being written
    )

    def run(*options: str) -> str:
        argv = [sys.executable, "-m", "devtools.logs", "--dir", str(tmp_path), "--no-follow"]
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [*argv, *options], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout

    one = run("--request", "r1")
    messages = [line.split(maxsplit=3)[3] for line in one.splitlines()]
    assert messages == [
        "HTTP Request: GET /balance req=r1 trace=trace-r1",
        "GET /balance 200 req=r1 trace=trace-r1",
        "POST /customers 409 req=r1 trace=trace-r1",
    ]
    every = run()
    assert "ecommerce   uvicorn says hello" in every
    assert "GET /accounts 200" in every
    assert "half" not in every
    traced = run("--trace", "trace-r2")
    assert [line.split()[1] for line in traced.splitlines()] == ["banking"]


def test_compose_lines_name_their_service() -> None:
    raw = entry("03.100", "banking", "GET /health/live 200", "r9")
    source, line = logs.compose_line(f"banking-1  | {raw}\n")
    assert (source, line) == ("banking", raw)
    assert logs.compose_line("Attaching to banking-1\n") == ("", "Attaching to banking-1")
    assert logs.readable(*reversed(logs.compose_line("healthcare-2  | plain text"))) == (
        "healthcare  plain text"
    )
