"""Mesh settings (``LIFT_MESH_*``). Explicit keyword arguments beat environment variables."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class MeshSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIFT_MESH_", extra="ignore", frozen=True)

    # Static registry: {"banking": ["http://localhost:8001"]} (JSON in the environment).
    services: dict[str, list[str]] = Field(default_factory=dict)
    # Or AWS Cloud Map: the HTTP namespace whose instances carry a ``url`` attribute.
    cloud_map_namespace: str | None = None
    registry_cache_seconds: float = Field(default=10.0, ge=0)

    attempt_timeout_seconds: float = Field(default=2.0, gt=0)
    # The whole call, across retries and back-off (the "total" timeout of the pipeline).
    call_timeout_seconds: float = Field(default=5.0, gt=0)

    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base_seconds: float = Field(default=0.05, gt=0)
    backoff_cap_seconds: float = Field(default=1.0, gt=0)
    retry_budget_ratio: float = Field(default=0.2, ge=0, le=1)
    retry_budget_min_per_second: float = Field(default=5.0, ge=0)
    retry_budget_window_seconds: float = Field(default=10.0, gt=0)

    breaker_fail_max: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = Field(default=10.0, gt=0)
    breaker_half_open_probes: int = Field(default=1, ge=1)

    bulkhead_max_concurrent: int = Field(default=64, ge=1)
    bulkhead_max_wait_seconds: float = Field(default=0.1, ge=0)

    # Calls made as the service itself (no user): the OAuth 2.0 client-credentials grant.
    # Unset in dev/test, where the dev identity issuer mints them (see credentials.py).
    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token_scopes: list[str] = Field(default_factory=list)
    tenant_scope: str = Field(default="tenant:{tenant}", pattern=r"\{tenant\}")
    token_audience: str | None = None

    @model_validator(mode="after")
    def _one_registry(self) -> Self:
        if self.services and self.cloud_map_namespace:
            raise ValueError(
                "set LIFT_MESH_SERVICES or LIFT_MESH_CLOUD_MAP_NAMESPACE, not both: "
                "they are two registries"
            )
        return self
