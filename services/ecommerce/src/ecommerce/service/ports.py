"""What e-commerce's use cases need of the world: one port per aggregate, and the payment
gateway (e-commerce's own view of banking). ``adapters/`` implements them on DynamoDB and
on banking's HTTP API; the unit tests in memory (``tests/fakes.py``).

Not-found rule: ``get`` raises the domain's not-found error, ``find`` returns None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lift_core.audit import Staged

from ecommerce.domain.carts import Cart
from ecommerce.domain.catalog import Product
from ecommerce.domain.customers import CustomerRecord
from ecommerce.domain.orders import Order, Transition
from ecommerce.domain.payments import Charge, Payment
from ecommerce.domain.pricing import StorePolicy

# Where a listing resumes: the storage's own position (DynamoDB's LastEvaluatedKey), sealed
# into the API's opaque cursor by lift_core.pagination, so only positions this service
# wrote ever come back. None: the first page, or no further page.
Position = dict[str, Any] | None


class StoreRepository(Protocol):
    def find(self, tenant_id: str) -> StorePolicy | None: ...

    def save(self, policy: StorePolicy) -> None: ...


class ProductRepository(Protocol):
    def add(self, product: Product) -> None:
        """Raises ``SkuTaken`` when another product of the tenant has its SKU."""
        ...

    def get(self, tenant_id: str, product_id: str) -> Product:
        """A consistent read; raises ``ProductNotFound``."""
        ...

    def get_many(self, tenant_id: str, product_ids: Sequence[str]) -> dict[str, Product]:
        """Consistent reads of several products in one round trip; unknown ids are absent."""
        ...

    def page(
        self, tenant_id: str, *, category: str | None, limit: int, start: Position
    ) -> tuple[list[Product], Position]: ...

    def search(
        self, tenant_id: str, needle: str, *, limit: int, start: Position
    ) -> tuple[list[Product], Position]:
        """Active products whose name, SKU or description contain ``needle``."""
        ...

    def update(self, product: Product) -> None:
        """Save the product's description and price, unless its stock changed since it was
        read (``ConcurrentUpdate``)."""
        ...

    def set_inventory(self, tenant_id: str, product_id: str, quantity: int) -> Product:
        """Set on-hand stock, never below what open orders hold
        (``InventoryBelowReserved``)."""
        ...


class CustomerRepository(Protocol):
    def add(self, record: CustomerRecord) -> None:
        """Raises ``CustomerExists``."""
        ...

    def get(self, tenant_id: str, customer_id: str) -> CustomerRecord:
        """Raises ``CustomerNotFound``."""
        ...

    def mark_erased(self, tenant_id: str, customer_id: str, at: str) -> None: ...


class CartRepository(Protocol):
    def get(self, tenant_id: str, customer_id: str) -> Cart:
        """A customer who never saved a cart has an empty one (version None)."""
        ...

    def save(self, tenant_id: str, customer_id: str, cart: Cart) -> Cart:
        """Raises ``ConcurrentUpdate`` when the cart was saved since ``cart.version``."""
        ...

    def clear(self, tenant_id: str, customer_id: str, version: int | None) -> None:
        """Empty the cart unless it changed since ``version`` (then the customer keeps it)."""
        ...


@dataclass(frozen=True, slots=True)
class Basket:
    """What a checkout starts from."""

    store: StorePolicy | None
    customer: CustomerRecord | None
    cart: Cart


class BasketReads(Protocol):
    def basket(self, tenant_id: str, customer_id: str) -> Basket:
        """The store's policy and the customer's record and cart, read together (one round
        trip on DynamoDB)."""
        ...

    def cart_and_product(
        self, tenant_id: str, customer_id: str, product_id: str
    ) -> tuple[Cart, Product | None]:
        """The customer's cart and one product, read together (one round trip)."""
        ...


class OrderRepository(Protocol):
    def add(self, order: Order, *, audit: Staged | None = None) -> bool:
        """Store a new order (with the audit event that records it, atomically); False
        when the order exists already (its Idempotency-Key came back)."""
        ...

    def place(self, transition: Transition, *, audit: Staged | None = None) -> bool:
        """Store the new order ``transition.after`` and move its lines' stock, with the
        audit event, in one atomic write; False when the order exists already. Raises as
        ``apply``."""
        ...

    def find(self, tenant_id: str, order_id: str) -> Order | None: ...

    def page(
        self, tenant_id: str, customer_id: str | None, *, limit: int, start: Position
    ) -> tuple[list[Order], Position]:
        """The tenant's orders, or one customer's newest first."""
        ...

    def open(self, *, limit: int) -> list[Order]:
        """Orders of every tenant whose work between services has not finished."""
        ...

    def apply(
        self,
        transition: Transition,
        *,
        audit: Staged | None = None,
        also: Sequence[Staged] = (),
    ) -> None:
        """Store the order's new status and move its lines' stock, with the audit event
        that records it and ``also`` (events it publishes, the inbox claim of the event it
        answers), in one atomic write, if the order is still ``transition.before``.
        Raises ``OutOfStock`` (a reservation some line cannot hold), ``InvalidTransition``
        (the order moved meanwhile) or ``ConcurrentUpdate`` (contention outlasted the
        retries)."""
        ...


class PaymentGateway(Protocol):
    """Payments under the mandate a customer granted the store's merchant account. Keyed:
    a charge or refund repeated with its key lands at most once, so asking again is safe."""

    async def charge(self, charge: Charge) -> Payment:
        """Captured or declined; raises ``PaymentRefused`` or ``PaymentUnknown``."""
        ...

    async def find(self, tenant: str, key: str) -> Payment | None:
        """The payment made with ``key``; ``PaymentUnknown`` if banking cannot say."""
        ...

    async def refund(
        self, tenant: str, payment_id: str, *, amount: int, key: str, reason: str
    ) -> str:
        """The refund's id; ``PaymentUnknown`` if banking cannot say."""
        ...

    async def owns_account(self, account_id: str) -> bool:
        """Whether the *caller* (whose token is forwarded) holds this bank account."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Storage:
    stores: StoreRepository
    products: ProductRepository
    customers: CustomerRepository
    carts: CartRepository
    orders: OrderRepository
    baskets: BasketReads
