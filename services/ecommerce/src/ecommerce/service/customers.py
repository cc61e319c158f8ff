"""Customers and their personal data: encrypted per customer, exportable, erasable.

Name, e-mail and address are sealed under the customer's own data key (lift_core envelope
encryption), as is the delivery address copied onto each order. Erasure deletes that key:
every copy, in the profile and in past orders, becomes unreadable at once, while the
orders themselves (amounts, items) stay for the books.
"""

from __future__ import annotations

from typing import Any

from lift_core.audit import AuditRecorder
from lift_core.clock import Clock, iso, utc_now
from lift_core.context import Principal
from lift_core.protection import EnvelopeCipher, SubjectErased

from ecommerce.adapters.repository import CustomerRecord, DynamoShop
from ecommerce.domain.customers import Customer
from ecommerce.domain.exceptions import CustomerErased, CustomerNotFound, NotPermitted
from ecommerce.service.access import may_act_for

PII_FIELDS = ("name", "email", "address")


class Customers:
    def __init__(
        self,
        shop: DynamoShop,
        cipher: EnvelopeCipher,
        audit: AuditRecorder,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self.shop = shop
        self.cipher = cipher
        self.audit = audit
        self.clock = clock

    def register(
        self,
        principal: Principal,
        *,
        customer_id: str | None,
        bank_account_id: str,
        name: str,
        email: str,
        address: str,
    ) -> Customer:
        """A customer registers themselves; an admin may register anyone."""
        customer_id = customer_id or principal.subject
        if not may_act_for(principal, customer_id):
            raise NotPermitted("customers register themselves")
        tenant = principal.tenant_id
        values = {"name": name, "email": email, "address": address}
        record = CustomerRecord(
            tenant_id=tenant,
            customer_id=customer_id,
            bank_account_id=bank_account_id,
            pii={f: self.cipher.encrypt(tenant, customer_id, f, values[f]) for f in PII_FIELDS},
            created_at=iso(self.clock()),
            erased_at=None,
        )
        self.shop.add_customer(record)
        self.audit.record("customer.create", f"customer/{customer_id}", "success")
        return self._open(record)

    def record(self, principal: Principal, customer_id: str) -> CustomerRecord:
        """The stored record, for the caller or an admin; erased customers are gone."""
        if not may_act_for(principal, customer_id):
            raise CustomerNotFound(customer_id)
        record = self.shop.customer(principal.tenant_id, customer_id)
        if record.erased_at is not None:
            raise CustomerErased(f"customer {customer_id} was erased")
        return record

    def get(self, principal: Principal, customer_id: str) -> Customer:
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

    def export(self, principal: Principal, customer_id: str, orders: list[Any]) -> dict[str, Any]:
        """GDPR Art. 20: everything held about the customer, machine-readable."""
        customer = self._open(self.record(principal, customer_id))
        cart = self.shop.cart(principal.tenant_id, customer_id)
        self.audit.record("customer.export", f"customer/{customer_id}", "success")
        return {
            "customer": {
                "id": customer.id,
                "bank_account_id": customer.bank_account_id,
                "name": customer.name,
                "email": customer.email,
                "address": customer.address,
                "created_at": customer.created_at,
            },
            "cart": cart.items,
            "orders": orders,
            "exported_at": iso(self.clock()),
        }

    def erase(self, principal: Principal, customer_id: str) -> None:
        """GDPR Art. 17 by crypto-shredding. Idempotent."""
        if not may_act_for(principal, customer_id):
            raise CustomerNotFound(customer_id)
        self.shop.customer(principal.tenant_id, customer_id)  # 404 when unknown
        self.cipher.shred(principal.tenant_id, customer_id)
        self.shop.mark_erased(principal.tenant_id, customer_id, iso(self.clock()))
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
