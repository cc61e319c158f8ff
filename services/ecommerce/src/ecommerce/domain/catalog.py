"""Products and their stock."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProductStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class Product:
    """``quantity`` is on hand, ``reserved`` is held by open orders and ``available`` is
    what checkout may still reserve: always ``quantity - reserved``, never negative."""

    id: str
    tenant_id: str
    sku: str
    name: str
    description: str
    category: str
    price: int  # minor units of the store's currency
    currency: str
    status: ProductStatus
    quantity: int
    reserved: int
    available: int
    updated_at: str
