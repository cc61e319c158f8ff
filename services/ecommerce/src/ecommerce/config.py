"""E-commerce settings (``ECOMMERCE_*``); shared ones come from ``LIFT_*`` and
``LIFT_MESH_*`` (where banking is: ``LIFT_MESH_SERVICES='{"banking": ["http://…"]}'``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EcommerceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECOMMERCE_", extra="ignore", frozen=True)

    # How long an order holds its stock while its payment is unresolved. Well above any
    # one call to banking (its request timeout), so an expired order's payment attempt has
    # finished one way or the other before recovery looks it up and lets the stock go.
    reservation_seconds: int = Field(default=900, ge=60)
    # Recovery leaves orders younger than this to the checkout still working on them.
    recovery_min_age_seconds: float = Field(default=30.0, ge=0)
    # The periodic recovery task inside the service; 0 turns it off (run it as a command
    # or a scheduled Lambda instead).
    recovery_interval_seconds: float = Field(default=30.0, ge=0)
    recovery_batch: int = Field(default=100, ge=1, le=1000)
    catalog_cache_seconds: float = Field(default=5.0, ge=0)
    catalog_cache_size: int = Field(default=10_000, ge=1)
    # Where this service gets its own tokens in dev (the dev identity issuer) and the
    # subject it acts as: the owner of each tenant's merchant account.
    identity_url: str = "http://127.0.0.1:8000"
    service_subject: str = "ecommerce"
    audit_retention_days: int = Field(default=400, ge=365)
