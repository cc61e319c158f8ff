"""Settings refuse unsafe defaults outside dev; logs are JSON and never carry secrets."""

from __future__ import annotations

import json
import logging

import pytest

from lift_core import context
from lift_core.config import (
    DEV_BLIND_INDEX_KEY,
    DevIdentitySettings,
    Environment,
    LiftSettings,
    UnsafeSettingsError,
)
from lift_core.devidentity import DevIssuer
from lift_core.redaction import luhn_valid, redact, redact_text, register_sensitive_fields

pytestmark = pytest.mark.unit
PROD_AUTH = {
    "jwt_issuer": "https://id.example.com",
    "jwks_url": "https://id.example.com/jwks",
    "blind_index_key": "cHJvZHVjdGlvbi1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMhIQ==",
}


def test_dev_defaults_are_accepted_in_dev_and_test() -> None:
    assert LiftSettings(environment=Environment.DEV).is_dev
    assert LiftSettings(environment=Environment.TEST, auto_create_tables=True).auto_create_tables


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({}, "dev identity issuer"),
        ({**PROD_AUTH, "blind_index_key": DEV_BLIND_INDEX_KEY}, "LIFT_BLIND_INDEX_KEY"),
        ({**PROD_AUTH, "auto_create_tables": True}, "LIFT_AUTO_CREATE_TABLES"),
        ({**PROD_AUTH, "fault_injection_enabled": True}, "LIFT_FAULT_INJECTION_ENABLED"),
        ({**PROD_AUTH, "dynamodb_endpoint": "http://localhost:4566"}, "emulator"),
    ],
)
def test_unsafe_settings_are_refused_outside_dev(overrides: dict[str, object], named: str) -> None:
    # pydantic reports the refusal as a ValidationError, itself a ValueError.
    with pytest.raises(ValueError, match=named):
        LiftSettings(environment=Environment.PROD, **overrides)  # type: ignore[arg-type]


def test_production_settings_with_a_real_issuer_are_accepted() -> None:
    assert not LiftSettings(environment=Environment.PROD, **PROD_AUTH).is_dev  # type: ignore[arg-type]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFT_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    settings = LiftSettings()
    assert settings.max_body_bytes == 2048
    assert settings.otlp_endpoint == "http://collector:4318"


def test_dev_issuer_refuses_to_start_outside_dev() -> None:
    with pytest.raises(UnsafeSettingsError):
        DevIssuer(DevIdentitySettings(environment=Environment.PROD))


@pytest.mark.parametrize(
    "pan", ["4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"]
)
def test_luhn_valid_card_numbers_are_masked(pan: str) -> None:
    assert pan not in redact_text(f"card {pan} declined")
    assert "[REDACTED:PAN]" in redact_text(f"card {pan} declined")


def test_digit_runs_that_are_not_cards_are_kept() -> None:
    assert not luhn_valid("4111111111111112")
    assert redact_text("order 4111111111111112 shipped") == "order 4111111111111112 shipped"
    assert redact_text("took 1234 ms") == "took 1234 ms"


def test_ssn_email_and_credentials_are_masked() -> None:
    text = "ssn 123-45-6789 mail jane.doe@example.com auth Bearer eyJhbGciOi.abc.def"
    masked = redact_text(text)
    for secret in ("123-45-6789", "jane.doe@example.com", "eyJhbGciOi"):
        assert secret not in masked


def test_sensitive_keys_are_masked_at_any_depth() -> None:
    register_sensitive_fields(["diagnosis"])
    value = {
        "headers": {"Authorization": "Bearer x", "Cookie": "session=1", "accept": "json"},
        "patient": [{"diagnosis": "flu", "id": "p1"}],
        "password": "hunter2",
    }
    assert redact(value) == {
        "headers": {"Authorization": "[REDACTED]", "Cookie": "[REDACTED]", "accept": "json"},
        "patient": [{"diagnosis": "[REDACTED]", "id": "p1"}],
        "password": "[REDACTED]",
    }


def test_log_lines_are_json_with_context_and_redacted(json_logs: list[str]) -> None:
    ctx = context.RequestContext(request_id="r1", correlation_id="c1", trace_id="t" * 32)
    ctx.principal = context.Principal(subject="alice", tenant_id="acme", token="secret-token")
    token = context.set_current(ctx)
    try:
        logging.getLogger("svc").info(
            "charging card 4111111111111111 for %s", "bob@example.com", extra={"ssn": "1"}
        )
    finally:
        context.reset(token)
    line = json.loads(json_logs[-1])
    assert line["request_id"] == "r1"
    assert line["tenant_id"] == "acme"
    assert line["subject"] == "alice"
    assert line["ssn"] == "[REDACTED]"
    assert "4111111111111111" not in json_logs[-1]
    assert "bob@example.com" not in json_logs[-1]
    assert "secret-token" not in json_logs[-1]
