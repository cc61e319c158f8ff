"""Every operation of every service's OpenAPI document, fuzzed by schemathesis while
authenticated: no 5xx, and every answer matches its documented status, content type and
schema (errors included: ``application/problem+json``).

The services run in-process on the embedded emulator, healthcare and e-commerce wired to
the real banking app. ``make test`` runs a bounded, repeatable pass (``FUZZ_EXAMPLES``,
default 8 examples per operation, fixed seed); ``make fuzz`` a longer, random one.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.inprocess import Estate

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    suppress_health_check=list(HealthCheck),
    database=None,
    print_blob=True,
)


@pytest.mark.parametrize("service", ["banking", "healthcare", "ecommerce"])
def test_every_operation_survives_fuzzing(service: str, estate: Estate) -> None:
    """Valid and invalid inputs for each operation; a failure names the operation and the
    smallest input hypothesis found, and every operation is tried before the test fails."""
    app = estate.apps[service]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {estate.token(service)}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the schema is invalid: {result.err()}")
            continue
        operation = result.ok()
        operations += 1
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @FUZZ
        @given(case=strategy)
        def fuzz(case: Any) -> None:
            case.call_and_validate(app=app, headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
