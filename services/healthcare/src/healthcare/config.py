"""Healthcare settings (``HEALTHCARE_*``); shared ones come from ``LIFT_*`` and
``LIFT_MESH_*`` (where banking is)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class HealthcareSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEALTHCARE_", extra="ignore", frozen=True)

    break_glass_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # The retry path for invoices banking did not confirm; 0 turns the in-process task off.
    billing_retry_interval_seconds: float = Field(default=30.0, ge=0)
    billing_retry_min_age_seconds: float = Field(default=30.0, ge=0)
    billing_retry_batch: int = Field(default=100, ge=1, le=1000)
    identity_url: str = "http://127.0.0.1:8000"
    service_subject: str = "healthcare"
    # HIPAA 164.316(b)(2): six years.
    audit_retention_days: int = Field(default=2190, ge=2190)
