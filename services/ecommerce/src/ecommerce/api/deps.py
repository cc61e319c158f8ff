"""Dependencies the routes share: the use cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ecommerce.bootstrap import Shop
from ecommerce.service.carts import Carts
from ecommerce.service.catalog import Catalog
from ecommerce.service.checkout import Checkout
from ecommerce.service.customers import Customers
from ecommerce.service.orders import Orders


def _shop(request: Request) -> Shop:
    shop: Shop = request.app.state.shop
    return shop


def _catalog(request: Request) -> Catalog:
    return _shop(request).catalog


def _customers(request: Request) -> Customers:
    return _shop(request).customers


def _carts(request: Request) -> Carts:
    return _shop(request).carts


def _checkout(request: Request) -> Checkout:
    return _shop(request).checkout


def _orders(request: Request) -> Orders:
    return _shop(request).orders


CatalogService = Annotated[Catalog, Depends(_catalog)]
CustomersService = Annotated[Customers, Depends(_customers)]
CartsService = Annotated[Carts, Depends(_carts)]
CheckoutService = Annotated[Checkout, Depends(_checkout)]
OrdersService = Annotated[Orders, Depends(_orders)]
