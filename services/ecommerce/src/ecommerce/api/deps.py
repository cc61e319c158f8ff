"""Dependencies the routes share: the use cases of ``bootstrap``'s graph."""

from __future__ import annotations

from typing import Annotated

from lift_core.graph import use_case

from ecommerce.bootstrap import Shop
from ecommerce.service.carts import Carts
from ecommerce.service.catalog import Catalog
from ecommerce.service.checkout import Checkout
from ecommerce.service.customers import Customers
from ecommerce.service.orders import Orders

CatalogService = Annotated[Catalog, use_case(Shop, "catalog")]
CustomersService = Annotated[Customers, use_case(Shop, "customers")]
CartsService = Annotated[Carts, use_case(Shop, "carts")]
CheckoutService = Annotated[Checkout, use_case(Shop, "checkout")]
OrdersService = Annotated[Orders, use_case(Shop, "orders")]
