"""Dependencies the routes share: the use cases and the Idempotency-Key requirement."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from ecommerce.domain.exceptions import IdempotencyKeyRequired
from ecommerce.service.carts import Carts
from ecommerce.service.catalog import Catalog
from ecommerce.service.checkout import Checkout
from ecommerce.service.customers import Customers
from ecommerce.service.orders import Orders


def _state(name: str) -> object:
    def get(request: Request) -> object:
        return getattr(request.app.state, name)

    return get


def _idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=255, description="Required: one per checkout"),
    ] = None,
) -> str:
    if not idempotency_key:
        raise IdempotencyKeyRequired("checkout needs an Idempotency-Key header")
    return idempotency_key


CatalogService = Annotated[Catalog, Depends(_state("catalog"))]
CustomersService = Annotated[Customers, Depends(_state("customers"))]
CartsService = Annotated[Carts, Depends(_state("carts"))]
CheckoutService = Annotated[Checkout, Depends(_state("checkout"))]
OrdersService = Annotated[Orders, Depends(_state("orders"))]
IdempotencyKey = Annotated[str, Depends(_idempotency_key)]
