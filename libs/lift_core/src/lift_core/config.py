"""Settings shared by every Lift service (prefix ``LIFT_``) and the guard on unsafe defaults.

This is the only module of lift_core that reads the environment (through pydantic-settings).
Each service adds its own settings class with its own prefix (``BANKING_`` ...).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_ISSUER = "http://localhost:8000"
DEV_BLIND_INDEX_KEY = "bGlmdC1kZXYtYmxpbmQtaW5kZXgta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg=="


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    STAGING = "staging"
    PROD = "prod"


class UnsafeSettingsError(ValueError):
    """Raised when a development-only setting is enabled outside dev/test."""


class LiftSettings(BaseSettings):
    """Settings every service shares. Explicit keyword arguments beat environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="LIFT_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "lift"
    environment: Environment = Environment.DEV
    log_level: str = "INFO"
    access_log: bool = True

    # Auth: tokens are verified against this issuer's JWKS.
    jwt_issuer: str = DEV_ISSUER
    jwt_audience: str = "lift"
    jwks_url: str = f"{DEV_ISSUER}/.well-known/jwks.json"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    jwks_refresh_seconds: int = Field(default=600, ge=1)
    jwks_min_refetch_seconds: float = Field(default=10.0, ge=0)
    token_cache_size: int = Field(default=10_000, ge=0)

    # DynamoDB
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("LIFT_AWS_REGION", "AWS_REGION")
    )
    dynamodb_endpoint: str | None = None
    table_prefix: str = "lift-dev-"
    auto_create_tables: bool = False

    # Request limits
    # Lift's APIs take small JSON documents: 64 KiB is ample, and bounds every scan of a body.
    max_body_bytes: int = Field(default=65_536, ge=1)
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    # X-Lift-Deadline-Ms from a caller that is not a service cannot cut the budget below this.
    client_deadline_floor_seconds: float = Field(default=1.0, ge=0)
    max_in_flight: int = Field(default=512, ge=1)
    rate_limit_requests: int = Field(default=1200, ge=1)
    rate_limit_window_seconds: int = Field(default=60, ge=1)
    rate_limit_backend: Literal["memory", "dynamodb"] = "memory"
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60)

    # Data protection: the KMS key that wraps per-subject data keys, and the HMAC key of
    # blind indexes (base64, at least 32 bytes; the dev default is refused outside dev/test).
    # Page cursors are sealed with a subkey derived from it (lift_core.pagination).
    kms_key_id: str | None = None
    blind_index_key: SecretStr = SecretStr(DEV_BLIND_INDEX_KEY)
    data_key_cache_size: int = Field(default=1024, ge=1)

    # Events: on Lambda the relay and the consumers are functions of their own; a dev estate
    # runs them inside each app, polling the emulator's stream and queues this often.
    events_local: bool = False
    events_poll_seconds: float = Field(default=0.2, gt=0)

    # Chaos switches (lift_mesh client side, lift_core server side)
    fault_injection_enabled: bool = False

    # Telemetry: the standard OpenTelemetry variable, no prefix.
    otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
        ),
    )

    @property
    def is_dev(self) -> bool:
        return self.environment in (Environment.DEV, Environment.TEST)

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> LiftSettings:
        if self.is_dev:
            return self
        unsafe = []
        if self.jwt_issuer == DEV_ISSUER or self.jwks_url.startswith(DEV_ISSUER):
            unsafe.append("the dev identity issuer (set LIFT_JWT_ISSUER and LIFT_JWKS_URL)")
        if self.auto_create_tables:
            unsafe.append("LIFT_AUTO_CREATE_TABLES")
        if self.fault_injection_enabled:
            unsafe.append("LIFT_FAULT_INJECTION_ENABLED")
        if self.blind_index_key.get_secret_value() == DEV_BLIND_INDEX_KEY:
            unsafe.append("the dev LIFT_BLIND_INDEX_KEY")
        if self.dynamodb_endpoint:
            unsafe.append("LIFT_DYNAMODB_ENDPOINT (an emulator endpoint)")
        if unsafe:
            raise UnsafeSettingsError(
                f"environment {self.environment.value!r} refuses dev-only settings: "
                + ", ".join(unsafe)
            )
        return self


class DevIdentitySettings(BaseSettings):
    """The local token issuer (``LIFT_IDENTITY_*``). It refuses to run outside dev/test."""

    model_config = SettingsConfigDict(
        env_prefix="LIFT_IDENTITY_", extra="ignore", frozen=True, populate_by_name=True
    )

    environment: Environment = Field(
        default=Environment.DEV,
        validation_alias=AliasChoices("LIFT_ENVIRONMENT", "LIFT_IDENTITY_ENVIRONMENT"),
    )
    issuer: str = DEV_ISSUER
    audience: str = "lift"
    url: str = DEV_ISSUER
    host: str = "127.0.0.1"
    port: int = 8000
    key_path: str = ".lift/dev-identity-key.pem"
    token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
