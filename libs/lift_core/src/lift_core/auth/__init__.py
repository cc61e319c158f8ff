"""Bearer JWT auth: JWKS-backed verification, the auth middleware and route dependencies."""

from lift_core.auth.deps import CurrentPrincipal, get_principal, require_roles, require_scopes
from lift_core.auth.jwt import (
    ALLOWED_ALGORITHMS,
    HttpJwksSource,
    JwksSource,
    JwtVerifier,
    StaticJwksSource,
)
from lift_core.auth.middleware import AuthMiddleware

__all__ = [
    "ALLOWED_ALGORITHMS",
    "AuthMiddleware",
    "CurrentPrincipal",
    "HttpJwksSource",
    "JwksSource",
    "JwtVerifier",
    "StaticJwksSource",
    "get_principal",
    "require_roles",
    "require_scopes",
]
