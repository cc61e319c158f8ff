"""Orders: reading, fulfilment (admin) and cancellation."""

from __future__ import annotations

from fastapi import APIRouter

from lift_core.auth import CurrentPrincipal
from lift_core.context import run_blocking as blocking
from lift_core.pagination import CursorPage, Limit, PageCursor

from ecommerce.api.deps import CheckoutService, CustomersService, OrdersService
from ecommerce.api.schemas import OrderOut, SetOrderStatus
from ecommerce.api.views import order_out

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.get("", summary="Your orders (admins: the whole store's), newest first")
def list_orders(
    principal: CurrentPrincipal,
    cursor: PageCursor,
    orders: OrdersService,
    customers: CustomersService,
    limit: Limit = 20,
) -> CursorPage[OrderOut]:
    items, last = orders.page(principal, customer_id=None, limit=limit, start=cursor.start)
    return cursor.answer([order_out(o, customers) for o in items], last)


@router.get("/{order_id}", summary="One order")
def get_order(
    order_id: str, principal: CurrentPrincipal, orders: OrdersService, customers: CustomersService
) -> OrderOut:
    return order_out(orders.get(principal, order_id), customers)


@router.put("/{order_id}/status", summary="Record shipping or delivery (admin)")
def set_status(
    order_id: str,
    body: SetOrderStatus,
    principal: CurrentPrincipal,
    orders: OrdersService,
    customers: CustomersService,
) -> OrderOut:
    return order_out(orders.set_status(principal, order_id, body.status), customers)


@router.post("/{order_id}/cancel", summary="Cancel before shipping: refund and restock")
async def cancel(
    order_id: str,
    principal: CurrentPrincipal,
    checkout: CheckoutService,
    customers: CustomersService,
) -> OrderOut:
    order = await checkout.cancel(principal, order_id)
    return await blocking(order_out, order, customers)
