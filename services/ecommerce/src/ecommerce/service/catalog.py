"""Use cases on the catalogue: products, their stock, the store's settings.

Reads by id are cached for a few seconds per process and dropped on every local change;
other instances see a change within ``catalog_cache_seconds``. Checkout never reads from
the cache: prices and stock at checkout are always read consistently.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace

from cachetools import TTLCache

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal

from ecommerce.domain.catalog import Product, ProductStatus
from ecommerce.domain.exceptions import (
    CurrencyMismatch,
    ProductNotFound,
    StoreNotConfigured,
)
from ecommerce.domain.pricing import StorePolicy
from ecommerce.service.access import is_admin, require_admin
from ecommerce.service.ports import Position, Storage


class Catalog:
    def __init__(
        self,
        storage: Storage,
        audit: AuditLog,
        *,
        cache_seconds: float,
        cache_size: int,
        clock: Clock = utc_now,
    ) -> None:
        self.stores = storage.stores
        self.products = storage.products
        self.audit = audit
        self.clock = clock
        self._cache: TTLCache[tuple[str, str], Product] | None = (
            TTLCache(maxsize=cache_size, ttl=cache_seconds) if cache_seconds > 0 else None
        )
        self._lock = threading.Lock()

    # -- store settings -----------------------------------------------------------------

    def store(self, principal: Principal) -> StorePolicy:
        policy = self.stores.find(principal.tenant_id)
        if policy is None:
            raise StoreNotConfigured("an admin must configure the store first")
        return policy

    def configure(self, principal: Principal, policy: StorePolicy) -> StorePolicy:
        require_admin(principal)
        policy = replace(policy, tenant_id=principal.tenant_id)
        self.stores.save(policy)
        self.audit.record(
            "store.configure",
            f"store/{principal.tenant_id}",
            "success",
            {"merchant_account_id": policy.merchant_account_id, "currency": policy.currency},
        )
        return policy

    # -- products -----------------------------------------------------------------------

    def create(
        self,
        principal: Principal,
        *,
        sku: str,
        name: str,
        description: str,
        category: str,
        price: int,
        currency: str,
        status: ProductStatus,
        quantity: int,
    ) -> Product:
        require_admin(principal)
        store = self.store(principal)
        if currency != store.currency:
            raise CurrencyMismatch(f"this store sells in {store.currency}")
        product = Product(
            id=f"prd_{uuid.uuid4().hex}",
            tenant_id=principal.tenant_id,
            sku=sku,
            name=name,
            description=description,
            category=category,
            price=price,
            currency=currency,
            status=status,
            quantity=quantity,
            reserved=0,
            available=quantity,
            updated_at=iso(self.clock()),
        )
        self.products.add(product)
        self.audit.record("product.create", f"product/{product.id}", "success", {"sku": sku})
        return product

    def get(self, principal: Principal, product_id: str) -> Product:
        key = (principal.tenant_id, product_id)
        product = self._cache.get(key) if self._cache is not None else None
        if product is None:
            product = self.products.get(principal.tenant_id, product_id)
            if self._cache is not None:
                with self._lock:
                    self._cache[key] = product
        if product.status is not ProductStatus.ACTIVE and not is_admin(principal):
            raise ProductNotFound(product_id)  # drafts and archived items are staff-only
        return product

    def page(
        self, principal: Principal, *, category: str | None, limit: int, start: Position
    ) -> tuple[list[Product], Position]:
        items, next_cursor = self.products.page(
            principal.tenant_id, category=category, limit=limit, start=start
        )
        if not is_admin(principal):
            items = [p for p in items if p.status is ProductStatus.ACTIVE]
        return items, next_cursor

    def search(
        self, principal: Principal, query: str, *, limit: int, start: Position = None
    ) -> tuple[list[Product], Position]:
        return self.products.search(principal.tenant_id, query, limit=limit, start=start)

    def update(
        self,
        principal: Principal,
        product_id: str,
        *,
        name: str | None,
        description: str | None,
        category: str | None,
        price: int | None,
        status: ProductStatus | None,
    ) -> Product:
        require_admin(principal)
        current = self.products.get(principal.tenant_id, product_id)
        updated = replace(
            current,
            name=current.name if name is None else name,
            description=current.description if description is None else description,
            category=current.category if category is None else category,
            price=current.price if price is None else price,
            status=current.status if status is None else status,
            updated_at=iso(self.clock()),
        )
        self.products.update(updated)
        self._forget(principal.tenant_id, product_id)
        self.audit.record(
            "product.update",
            f"product/{product_id}",
            "success",
            {"price": updated.price, "status": updated.status.value},
        )
        return updated

    def set_inventory(self, principal: Principal, product_id: str, quantity: int) -> Product:
        require_admin(principal)
        product = self.products.set_inventory(principal.tenant_id, product_id, quantity)
        self._forget(principal.tenant_id, product_id)
        self.audit.record(
            "product.inventory", f"product/{product_id}", "success", {"quantity": quantity}
        )
        return product

    def _forget(self, tenant_id: str, product_id: str) -> None:
        if self._cache is not None:
            with self._lock:
                self._cache.pop((tenant_id, product_id), None)
