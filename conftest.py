"""Fixtures shared by every package's tests: the embedded DynamoDB emulator, settings, tokens.

Integration tests use a real DynamoDB-compatible endpoint (moto's server, in a process of its
own), with a fresh table prefix per test so tests never collide.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from devtools.estate import free_port
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tests.secrets_scan import log_line_findings, stored_findings

from lift_core.auth import JwtVerifier, StaticJwksSource
from lift_core.config import DevIdentitySettings, Environment, LiftSettings
from lift_core.devidentity import DevIssuer, TokenRequest
from lift_core.logging import JsonFormatter
from lift_core.redaction import find_sensitive
from lift_core.telemetry import configure_telemetry

# The e2e journeys' target fixture (tests/e2e is on pytest's pythonpath), and the in-process
# estate the generated suites attack.
pytest_plugins = ["e2e_fixtures", "tests.inprocess"]

# Fake credentials: the emulator accepts any, and nothing here may reach a real account.
# Pact's verifier would otherwise report usage to pact.io from every run.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "PACT_DO_NOT_TRACK": "true",
}.items():
    os.environ[_name] = _value

# Telemetry is process-wide; tests read spans and metrics from these in-memory sinks.
SPANS = InMemorySpanExporter()
METRICS = InMemoryMetricReader()
configure_telemetry(
    "lift-tests", span_processors=(SimpleSpanProcessor(SPANS),), metric_readers=(METRICS,)
)

_TEST_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """The embedded emulator (moto, requests serialized) for the whole session.

    It runs in a process of its own (``python -m devtools.emulator``): its work then runs on
    the other core while the tests' apps run on this one, and its heap is not the tests'.
    Before it stops, every audit table still in it (``*-audit``: those of session and
    module fixtures; a test's own are checked when it ends, see ``db_settings``) is
    checked: every chain must verify, and no audit item may hold a raw card number or SSN.
    """
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "devtools.emulator", "--port", str(port)],
        cwd=Path(__file__).parent,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start (exit code {process.poll()})")
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        yield endpoint
        leaks, broken = _audit_findings(endpoint)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not leaks, f"stored items hold protected values: {leaks[:5]}"
    assert not broken, f"audit chains broken after the suite: {broken[:5]}"


_AUDIT_CONTENT = ("details", "resource", "actor", "action", "outcome", "source_ip")

# Values tests declare restricted (``restricted_canary`` fixture): none may appear in any
# log line or audit item of the session.
RESTRICTED_CANARIES: set[str] = set()


def _canaries_in(text: str) -> list[str]:
    return [c for c in RESTRICTED_CANARIES if c in text]


def _tables(client: Any, prefix: str = "") -> list[str]:
    return [
        name
        for page in client.get_paginator("list_tables").paginate()
        for name in page["TableNames"]
        if name.startswith(prefix)
    ]


def _audit_findings(endpoint: str, prefix: str = "") -> tuple[list[str], list[str]]:
    """Protected values in every table under ``prefix``, and broken audit chains."""
    from lift_core.audit import AuditRecord, DynamoAuditStore, verify_events
    from lift_core.dynamo import bind_model

    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    leaks: list[str] = []
    broken: list[str] = []
    for table in _tables(client, prefix):
        if not table.endswith("-audit"):
            leaks += stored_findings(client, table, RESTRICTED_CANARIES)
            continue
        table_prefix = table.removesuffix("audit")
        store = DynamoAuditStore(
            bind_model(
                AuditRecord,
                LiftSettings(
                    environment=Environment.TEST,
                    dynamodb_endpoint=endpoint,
                    table_prefix=table_prefix,
                ),
                "audit",
            )
        )
        streams = {
            item["stream"]["S"]
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]
        }
        for stream in streams:
            result = verify_events(stream, store.read(stream))
            if not result.ok:
                broken.append(f"{table} {stream}: {result.reason} at {result.first_broken_seq}")
        for page in client.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                # Content fields only: hex hashes hold digit runs that pass Luhn by chance.
                content = " | ".join(
                    str(item[f]["S"]) for f in _AUDIT_CONTENT if f in item and "S" in item[f]
                )
                kinds = {k for k in find_sensitive(content) if k in ("pan", "ssn")}
                kinds |= {"restricted"} if _canaries_in(content) else set()
                if kinds:
                    leaks.append(f"{table}: {sorted(kinds)}")
    return leaks, broken


class _SuiteLog(logging.Handler):
    """Every log line of the session, formatted exactly as production writes it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter("suite"))
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        kinds = log_line_findings(line, RESTRICTED_CANARIES)
        if kinds:
            self.leaks.append(f"{kinds}: {line[:400]}")


@pytest.fixture(scope="session", autouse=True)
def no_protected_values_in_logs() -> Iterator[None]:
    """Fails the session if any log line of any test carried a card number, SSN or token."""
    handler = _SuiteLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    assert not handler.leaks, f"log lines leaked protected values: {handler.leaks[:5]}"


@pytest.fixture(scope="session")
def issuer() -> DevIssuer:
    return DevIssuer(DevIdentitySettings(environment=Environment.TEST), private_key=_TEST_KEY)


@pytest.fixture
def settings() -> LiftSettings:
    """Settings for an app with no emulator (unit tests)."""
    return LiftSettings(environment=Environment.TEST, service_name="test", access_log=True)


@pytest.fixture
def db_settings(dynamodb_endpoint: str) -> Iterator[LiftSettings]:
    """Settings pointing at the emulator, with tables unique to this test.

    When the test ends its audit tables must verify and hold no protected value; then its
    tables are dropped. Tables left behind by hundreds of tests grew the emulator to
    gigabytes, and its garbage collection stalled requests for seconds (a 504 in CI).
    """
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    yield LiftSettings(
        environment=Environment.TEST,
        service_name="test",
        dynamodb_endpoint=dynamodb_endpoint,
        table_prefix=prefix,
        auto_create_tables=True,
    )
    leaks, broken = _audit_findings(dynamodb_endpoint, prefix)
    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1")
    for table in _tables(client, prefix):
        client.delete_table(TableName=table)
    assert not leaks, f"stored items hold protected values: {leaks[:5]}"
    assert not broken, f"audit chains broken by this test: {broken[:5]}"


@pytest.fixture
def verifier(issuer: DevIssuer, settings: LiftSettings) -> JwtVerifier:
    return JwtVerifier(
        StaticJwksSource(issuer.jwks()), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )


Mint = Callable[..., str]


@pytest.fixture
def mint(issuer: DevIssuer) -> Mint:
    """Mint a bearer token: ``mint("acme", "alice", roles=["customer"])``."""

    def _mint(
        tenant: str = "acme",
        subject: str = "alice",
        *,
        roles: list[str] | None = None,
        scopes: list[str] | None = None,
    ) -> str:
        request = TokenRequest(
            tenant_id=tenant, subject=subject, roles=roles or [], scopes=scopes or []
        )
        return issuer.mint(request).access_token

    return _mint


@pytest.fixture
def restricted_canary() -> Callable[[str], str]:
    """Declare a value restricted: the session fails if it shows up in a log or audit item."""

    def declare(value: str) -> str:
        RESTRICTED_CANARIES.add(value)
        return value

    return declare


@pytest.fixture(autouse=True)
def _forget_spans() -> Iterator[None]:
    """The exporter keeps what it is given: without this the session's spans pile up."""
    yield
    SPANS.clear()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    SPANS.clear()
    return SPANS


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return METRICS


class _JsonCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter("test"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def json_logs() -> Iterator[list[str]]:
    """Every log line emitted during the test, formatted exactly as production writes it."""
    handler = _JsonCapture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(previous)


# Under pytest-xdist (`make test` runs two workers) a module's tests run on one worker, since
# they share its module fixtures, and so do all the e2e journeys, which share their estates.
# xdist's own `--dist loadgroup` cannot say this on pytest 9.2: it renames node ids, which
# pytest no longer lets it do (pytest-dev/pytest-xdist#1386), so the groups are ours.
_LONG_GROUPS = ("tests/e2e", "tests/template/")  # scheduled first: they set the run's length


def _group(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return "tests/e2e" if path.startswith("tests/e2e/") else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    return ByGroup(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not _group(item.nodeid).startswith(_LONG_GROUPS))
