"""Resilient service-to-service calls: one ``ServiceClient`` every cross-service call uses."""

from lift_mesh.client import ServiceClient, TargetStats, as_service
from lift_mesh.config import MeshSettings
from lift_mesh.credentials import (
    ClientCredentialsTokens,
    DevIssuerTokens,
    ServiceTokens,
    ServiceTokensRequired,
    TokenRefused,
    TokenUnavailable,
    service_tokens,
)
from lift_mesh.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    MeshError,
    MeshTimeoutError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)
from lift_mesh.registry import (
    CachedRegistry,
    CloudMapRegistry,
    Instance,
    Registry,
    StaticRegistry,
    registry_from_settings,
)

__all__ = [
    "BadRequestError",
    "CachedRegistry",
    "ClientCredentialsTokens",
    "CloudMapRegistry",
    "ConflictError",
    "DevIssuerTokens",
    "ForbiddenError",
    "Instance",
    "MeshError",
    "MeshSettings",
    "MeshTimeoutError",
    "NotFoundError",
    "RateLimitedError",
    "Registry",
    "ServerError",
    "ServiceClient",
    "ServiceTokens",
    "ServiceTokensRequired",
    "StaticRegistry",
    "TargetStats",
    "TokenRefused",
    "TokenUnavailable",
    "UnauthorizedError",
    "UnavailableError",
    "ValidationError",
    "as_service",
    "registry_from_settings",
    "service_tokens",
]
