"""Who may do what: admins run the store, customers act on their own things."""

from __future__ import annotations

from lift_core.context import Principal

from ecommerce.domain.exceptions import NotPermitted

ADMIN = "admin"


def is_admin(principal: Principal) -> bool:
    return ADMIN in principal.roles


def require_admin(principal: Principal) -> None:
    if not is_admin(principal):
        raise NotPermitted("this needs the admin role")


def may_act_for(principal: Principal, customer_id: str) -> bool:
    return principal.subject == customer_id or is_admin(principal)
