"""The caller's cart and checkout."""

from __future__ import annotations

from fastapi import APIRouter, Response

from lift_core.auth import CurrentPrincipal
from lift_core.context import run_blocking as blocking
from lift_core.idempotency import IdempotencyKey

from ecommerce.api.deps import CartsService, CheckoutService, CustomersService
from ecommerce.api.schemas import AddItem, CartOut, OrderOut, UpdateItem
from ecommerce.api.views import line_out, order_out
from ecommerce.domain.orders import OrderStatus
from ecommerce.service.carts import Priced

router = APIRouter(prefix="/api/v1/cart", tags=["cart"])


def _out(priced: Priced) -> CartOut:
    _, lines = priced
    return CartOut(items=[line_out(x) for x in lines], subtotal=sum(x.amount for x in lines))


@router.get("", summary="The caller's cart at today's prices")
def get_cart(principal: CurrentPrincipal, carts: CartsService) -> CartOut:
    return _out(carts.view(principal))


@router.post("/items", status_code=201, summary="Add a product (quantities add up)")
def add_item(body: AddItem, principal: CurrentPrincipal, carts: CartsService) -> CartOut:
    return _out(carts.add(principal, body.product_id, body.quantity))


@router.put("/items/{item_id}", summary="Set an item's quantity")
def update_item(
    item_id: str, body: UpdateItem, principal: CurrentPrincipal, carts: CartsService
) -> CartOut:
    return _out(carts.update(principal, item_id, body.quantity))


@router.delete("/items/{item_id}", summary="Remove an item")
def remove_item(item_id: str, principal: CurrentPrincipal, carts: CartsService) -> CartOut:
    return _out(carts.remove(principal, item_id))


@router.post(
    "/checkout",
    status_code=201,
    summary="Order the cart: reserve stock, charge through banking, confirm",
    responses={202: {"description": "Payment outcome pending; the order completes later"}},
)
async def checkout(
    key: IdempotencyKey,
    principal: CurrentPrincipal,
    checkout: CheckoutService,
    customers: CustomersService,
    response: Response,
) -> OrderOut:
    order, created = await checkout.checkout(principal, key)
    if order.status is OrderStatus.PAYMENT_PENDING:
        response.status_code = 202
    elif not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return await blocking(order_out, order, customers)
