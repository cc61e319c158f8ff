"""Bearer JWT auth: JWKS-backed verification, the authenticator and route dependencies."""

from lift_core.auth.authenticator import Authenticator
from lift_core.auth.deps import CurrentPrincipal, get_principal, require_roles, require_scopes
from lift_core.auth.jwt import (
    ALLOWED_ALGORITHMS,
    HttpJwksSource,
    JwksSource,
    JwtVerifier,
    StaticJwksSource,
)

__all__ = [
    "ALLOWED_ALGORITHMS",
    "Authenticator",
    "CurrentPrincipal",
    "HttpJwksSource",
    "JwksSource",
    "JwtVerifier",
    "StaticJwksSource",
    "get_principal",
    "require_roles",
    "require_scopes",
]
