"""Domain objects to response bodies."""

from __future__ import annotations

from ecommerce.api.schemas import LineOut, OrderOut, ProductOut, TotalsOut
from ecommerce.domain.catalog import Product
from ecommerce.domain.orders import Order
from ecommerce.domain.pricing import Line
from ecommerce.service.customers import Customers


def product_out(p: Product) -> ProductOut:
    return ProductOut.model_validate(p, from_attributes=True)


def line_out(line: Line) -> LineOut:
    return LineOut(
        item_id=line.product_id,
        product_id=line.product_id,
        sku=line.sku,
        name=line.name,
        unit_price=line.unit_price,
        quantity=line.quantity,
        amount=line.amount,
    )


def order_out(order: Order, customers: Customers) -> OrderOut:
    """Blocking (it may unwrap the customer's key to show the delivery address)."""
    return OrderOut(
        id=order.id,
        customer_id=order.customer_id,
        status=order.status,
        reason=order.reason,
        lines=[line_out(line) for line in order.lines],
        totals=TotalsOut.model_validate(order.totals, from_attributes=True),
        currency=order.currency,
        payment_id=order.payment_id,
        refund_id=order.refund_id,
        ship_to=customers.open_address(order.tenant_id, order.customer_id, order.ship_to_sealed),
        created_at=order.created_at,
        updated_at=order.updated_at,
    )
