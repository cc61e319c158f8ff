"""Banking settings (``BANKING_*``); shared settings come from ``LIFT_*``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BankingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANKING_", extra="ignore", frozen=True)

    daily_debit_limit: int = Field(default=1_000_000, gt=0, description="minor units per day")
    fraud_threshold: float = Field(default=0.7, gt=0, le=1)
    fraud_high_amount: int = Field(default=500_000, gt=0)
    fraud_very_high_amount: int = Field(default=2_000_000, gt=0)
    fraud_velocity_window_seconds: int = Field(default=600, gt=0)
    fraud_velocity_limit: int = Field(default=5, gt=0)
    audit_retention_days: int = Field(default=400, ge=365, description="PCI DSS 10.7: a year")
