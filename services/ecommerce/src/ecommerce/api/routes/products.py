"""The store's settings, products and stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lift_core.auth import CurrentPrincipal
from lift_core.pagination import CursorPage, Limit, PageCursor

from ecommerce.api.deps import CatalogService
from ecommerce.api.schemas import (
    Category,
    CreateProduct,
    ProductOut,
    SetInventory,
    StoreIn,
    StoreOut,
    UpdateProduct,
)
from ecommerce.api.views import product_out
from ecommerce.domain.pricing import StorePolicy

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/store", response_model=StoreOut, summary="The store's currency, tax and shipping")
def get_store(principal: CurrentPrincipal, catalog: CatalogService) -> StorePolicy:
    return catalog.store(principal)


@router.put("/store", response_model=StoreOut, summary="Configure the store (admin)")
def put_store(body: StoreIn, principal: CurrentPrincipal, catalog: CatalogService) -> StorePolicy:
    return catalog.configure(principal, StorePolicy(tenant_id="", **body.model_dump()))


@router.post("/products", status_code=201, summary="Add a product (admin)")
def create_product(
    body: CreateProduct, principal: CurrentPrincipal, catalog: CatalogService
) -> ProductOut:
    return product_out(catalog.create(principal, **body.model_dump()))


@router.get("/products", summary="Products, optionally of one category, by cursor")
def list_products(
    principal: CurrentPrincipal,
    cursor: PageCursor,
    catalog: CatalogService,
    category: Category | None = None,
    limit: Limit = 20,
) -> CursorPage[ProductOut]:
    items, last = catalog.page(principal, category=category, limit=limit, start=cursor.start)
    return cursor.answer([product_out(p) for p in items], last)


@router.get("/products/search", summary="Active products whose name, SKU or text match")
def search_products(
    principal: CurrentPrincipal,
    catalog: CatalogService,
    cursor: PageCursor,
    q: Annotated[str, Query(min_length=2, max_length=100)],
    limit: Limit = 20,
) -> CursorPage[ProductOut]:
    items, last = catalog.search(principal, q, limit=limit, start=cursor.start)
    return cursor.answer([product_out(p) for p in items], last)


@router.get(
    "/products/{product_id}",
    summary="One product (the tenant's catalogue: active products are for every customer)",
    openapi_extra={"x-lift-access": "tenant"},
)
def get_product(
    product_id: str, principal: CurrentPrincipal, catalog: CatalogService
) -> ProductOut:
    return product_out(catalog.get(principal, product_id))


@router.put("/products/{product_id}", summary="Change a product (admin; SKU is fixed)")
def update_product(
    product_id: str, body: UpdateProduct, principal: CurrentPrincipal, catalog: CatalogService
) -> ProductOut:
    return product_out(catalog.update(principal, product_id, **body.model_dump()))


@router.put("/products/{product_id}/inventory", summary="Set units on hand (admin)")
def set_inventory(
    product_id: str, body: SetInventory, principal: CurrentPrincipal, catalog: CatalogService
) -> ProductOut:
    return product_out(catalog.set_inventory(principal, product_id, body.quantity))
