"""Customers: registration, profile, GDPR export and erasure."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from lift_core.auth import CurrentPrincipal
from lift_core.pagination import CursorPage, Limit, PageCursor

from ecommerce.api.deps import CustomersService, OrdersService
from ecommerce.api.schemas import CustomerOut, OrderOut, RegisterCustomer
from ecommerce.api.views import order_out
from ecommerce.domain.customers import Customer

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


def _out(c: Customer) -> CustomerOut:
    return CustomerOut.model_validate(c, from_attributes=True)


@router.post(
    "",
    status_code=201,
    summary="Register as a customer with a bank account you hold (admins: anyone)",
)
async def register(
    body: RegisterCustomer,
    principal: CurrentPrincipal,
    customers: CustomersService,
) -> CustomerOut:
    return _out(await customers.register(principal, **body.model_dump()))


@router.get("/{customer_id}", summary="A customer's profile (themselves or an admin)")
def get_customer(
    customer_id: str, principal: CurrentPrincipal, customers: CustomersService
) -> CustomerOut:
    return _out(customers.get(principal, customer_id))


@router.get("/{customer_id}/orders", summary="A customer's orders, newest first")
def customer_orders(
    customer_id: str,
    principal: CurrentPrincipal,
    cursor: PageCursor,
    customers: CustomersService,
    orders: OrdersService,
    limit: Limit = 20,
) -> CursorPage[OrderOut]:
    customers.record(principal, customer_id)
    items, last = orders.page(principal, customer_id=customer_id, limit=limit, start=cursor.start)
    return cursor.answer([order_out(o, customers) for o in items], last)


@router.get("/{customer_id}/export", summary="Everything held about a customer (GDPR Art. 20)")
def export(
    customer_id: str, principal: CurrentPrincipal, customers: CustomersService
) -> dict[str, Any]:
    held = customers.export(principal, customer_id)
    c = held.customer
    return {
        "customer": {
            "id": c.id,
            "bank_account_id": c.bank_account_id,
            "name": c.name,
            "email": c.email,
            "address": c.address,
            "created_at": c.created_at,
        },
        "cart": held.cart.items,
        "orders": [order_out(o, customers).model_dump(mode="json") for o in held.orders],
        "exported_at": held.exported_at,
    }


@router.delete(
    "/{customer_id}",
    status_code=204,
    summary="Erase a customer's personal data by crypto-shredding (GDPR Art. 17)",
)
def erase(customer_id: str, principal: CurrentPrincipal, customers: CustomersService) -> Response:
    customers.erase(principal, customer_id)
    return Response(status_code=204)
