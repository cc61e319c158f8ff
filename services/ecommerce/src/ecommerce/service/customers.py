"""Customers and their personal data: encrypted per customer, exportable, erasable.

Name, e-mail and address are sealed under the customer's own data key (lift_core envelope
encryption), as is the delivery address copied onto each order. Erasure deletes that key:
every copy, in the profile and in past orders, becomes unreadable at once, while the
orders themselves (amounts, items) stay for the books.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

from lift_core.audit import AuditLog
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal
from lift_core.context import run_blocking as blocking
from lift_core.protection import FieldCipher, SubjectErased

from ecommerce.domain.carts import Cart
from ecommerce.domain.customers import Customer, CustomerRecord
from ecommerce.domain.exceptions import (
    BankAccountNotFound,
    CustomerErased,
    CustomerNotFound,
    NotPermitted,
)
from ecommerce.domain.orders import Order
from ecommerce.service.access import is_admin, may_act_for
from ecommerce.service.ports import PaymentGateway, Position, Storage

PII_FIELDS = ("name", "email", "address")


@dataclass(frozen=True, slots=True)
class Export:
    """Everything held about one customer (GDPR Art. 20)."""

    customer: Customer
    cart: Cart
    orders: list[Order]
    exported_at: str


@dataclass
class Customers:
    storage: Storage
    cipher: FieldCipher
    audit: AuditLog
    payments: PaymentGateway
    _: KW_ONLY
    clock: Clock = utc_now

    async def register(
        self,
        principal: Principal,
        *,
        customer_id: str | None,
        bank_account_id: str,
        name: str,
        email: str,
        address: str,
    ) -> Customer:
        """A customer registers themselves, with a bank account banking says they hold; an
        admin may register anyone."""
        customer_id = customer_id or principal.subject
        if not may_act_for(principal, customer_id):
            raise NotPermitted("customers register themselves")
        if not is_admin(principal) and not await self.payments.owns_account(bank_account_id):
            raise BankAccountNotFound("register a bank account you hold in banking")
        values = {"name": name, "email": email, "address": address}
        return await blocking(self._add, principal.tenant_id, customer_id, bank_account_id, values)

    def _add(
        self, tenant: str, customer_id: str, bank_account_id: str, values: dict[str, str]
    ) -> Customer:
        record = CustomerRecord(
            tenant_id=tenant,
            customer_id=customer_id,
            bank_account_id=bank_account_id,
            pii={f: self.cipher.encrypt(tenant, customer_id, f, values[f]) for f in PII_FIELDS},
            created_at=iso(self.clock()),
            erased_at=None,
        )
        self.storage.customers.add(record)
        self.audit.record("customer.create", f"customer/{customer_id}", "success")
        return self._open(record)

    def record(self, principal: Principal, customer_id: str) -> CustomerRecord:
        """The stored record, for the caller or an admin; erased customers are gone."""
        if not may_act_for(principal, customer_id):
            raise CustomerNotFound(customer_id)
        return _live(self.storage.customers.get(principal.tenant_id, customer_id))

    def opened(
        self, principal: Principal, customer_id: str, record: CustomerRecord | None
    ) -> Customer:
        """The profile from a record the caller read itself (None: there is none), under
        the rules of ``record``; not audited: the caller's operation audits itself
        (checkout's ``order.checkout``)."""
        if record is None or not may_act_for(principal, customer_id):
            raise CustomerNotFound(customer_id)
        return self._open(_live(record))

    def get(self, principal: Principal, customer_id: str) -> Customer:
        """The customer's profile, opened, and the read audited."""
        try:
            customer = self._open(self.record(principal, customer_id))
        except (CustomerNotFound, CustomerErased):
            self.audit.record("customer.read", f"customer/{customer_id}", "denied")
            raise
        self.audit.record("customer.read", f"customer/{customer_id}", "success")
        return customer

    def seal_address(self, customer: Customer) -> str:
        return self.cipher.encrypt(customer.tenant_id, customer.id, "ship_to", customer.address)

    def open_address(self, tenant: str, customer_id: str, sealed: str) -> str | None:
        """The order's delivery address; None once the customer was erased."""
        if not sealed:
            return None
        try:
            return self.cipher.decrypt(tenant, customer_id, "ship_to", sealed)
        except SubjectErased:
            return None

    def export(self, principal: Principal, customer_id: str) -> Export:
        """GDPR Art. 20: the profile, the cart and every order, however many pages."""
        customer = self._open(self.record(principal, customer_id))
        tenant = principal.tenant_id
        orders: list[Order] = []
        start: Position = None
        while True:
            page, start = self.storage.orders.page(tenant, customer_id, limit=100, start=start)
            orders += page
            if start is None:
                break
        cart = self.storage.carts.get(tenant, customer_id)
        self.audit.record("customer.export", f"customer/{customer_id}", "success")
        return Export(customer, cart, orders, iso(self.clock()))

    def erase(self, principal: Principal, customer_id: str) -> None:
        """GDPR Art. 17 by crypto-shredding. Idempotent."""
        if not may_act_for(principal, customer_id):
            raise CustomerNotFound(customer_id)
        self.storage.customers.get(principal.tenant_id, customer_id)  # 404 when unknown
        self.cipher.shred(principal.tenant_id, customer_id)
        self.storage.customers.mark_erased(principal.tenant_id, customer_id, iso(self.clock()))
        self.audit.record("customer.erase", f"customer/{customer_id}", "success")

    def _open(self, record: CustomerRecord) -> Customer:
        t, c = record.tenant_id, record.customer_id
        values = {f: self.cipher.decrypt(t, c, f, record.pii[f]) for f in PII_FIELDS}
        return Customer(
            id=c,
            tenant_id=t,
            bank_account_id=record.bank_account_id,
            created_at=record.created_at,
            **values,
        )


def _live(record: CustomerRecord) -> CustomerRecord:
    if record.erased_at is not None:
        raise CustomerErased(f"customer {record.customer_id} was erased")
    return record
