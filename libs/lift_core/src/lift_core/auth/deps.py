"""Route dependencies: the verified principal, and role and scope requirements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from lift_core import context
from lift_core.context import Principal
from lift_core.errors import Forbidden, Unauthorized


async def get_principal() -> Principal:
    """The principal LiftMiddleware's authenticator verified (the bearer scheme is declared
    in OpenAPI by ``create_app``, not by a per-request security dependency)."""
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
