"""Route dependencies: the verified principal, and role and scope requirements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lift_core import context
from lift_core.context import Principal
from lift_core.errors import Forbidden, Unauthorized

# Declares the bearer scheme in OpenAPI; the middleware has already verified the token.
_bearer = HTTPBearer(auto_error=False, description="JWT from the identity issuer")


async def get_principal(
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    principal = context.current_principal()
    if principal is None:
        raise Unauthorized()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency: the caller must hold at least one of ``roles``."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any_role(*roles):
            raise Forbidden(f"This action needs one of the roles: {', '.join(sorted(roles))}.")
        return principal

    return check


def require_scopes(*scopes: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency: the caller's token must carry every one of ``scopes``."""

    async def check(principal: CurrentPrincipal) -> Principal:
        missing = set(scopes) - principal.scopes
        if missing:
            raise Forbidden(f"This action needs the scopes: {', '.join(sorted(missing))}.")
        return principal

    return check
