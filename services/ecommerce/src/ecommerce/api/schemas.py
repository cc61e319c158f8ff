"""Request and response bodies. Prices are strict integers of minor units."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from lift_core.protection.text import NoSensitiveData

from ecommerce.domain.catalog import ProductStatus
from ecommerce.domain.orders import OrderStatus

Price = Annotated[StrictInt, Field(ge=0, le=10**10, description="minor units, e.g. cents")]
Quantity = Annotated[StrictInt, Field(description="units")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217", examples=["EUR"])]
Sku = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$", examples=["MUG-001"])]
Category = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", examples=["kitchen"])]
AccountId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreIn(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "merchant_account_id": "acc_c0ffee00c0ffee00c0ffee00c0ffee00",
                "currency": "EUR",
                "tax_rate_bp": 2000,
                "shipping_fee": 495,
                "free_shipping_from": 5000,
            }
        ]
    },
):
    merchant_account_id: AccountId
    currency: Currency
    tax_rate_bp: StrictInt = Field(ge=0, le=10_000, description="basis points: 2000 = 20 %")
    shipping_fee: Price
    free_shipping_from: Price | None = None


class StoreOut(StoreIn):
    model_config = ConfigDict(extra="ignore")


class CreateProduct(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "sku": "MUG-001",
                "name": "Enamel mug",
                "category": "kitchen",
                "price": 1299,
                "currency": "EUR",
                "quantity": 25,
            }
        ]
    },
):
    sku: Sku
    name: Annotated[str, Field(max_length=200, min_length=1), NoSensitiveData]
    description: Annotated[str, Field(max_length=2000), NoSensitiveData] = ""
    category: Category
    price: Price
    currency: Currency
    status: ProductStatus = ProductStatus.ACTIVE
    quantity: Quantity = Field(default=0, ge=0, le=10**7)


class UpdateProduct(Strict, json_schema_extra={"examples": [{"price": 1199}]}):
    name: Annotated[str, Field(max_length=200, min_length=1), NoSensitiveData] | None = None
    description: Annotated[str, Field(max_length=2000), NoSensitiveData] | None = None
    category: Category | None = None
    price: Price | None = None
    status: ProductStatus | None = None


class SetInventory(Strict, json_schema_extra={"examples": [{"quantity": 40}]}):
    quantity: Quantity = Field(ge=0, le=10**7, description="units on hand")


class ProductOut(BaseModel):
    id: str
    sku: str
    name: str
    description: str
    category: str
    price: int
    currency: str
    status: ProductStatus
    quantity: int
    reserved: int
    available: int
    updated_at: str


class RegisterCustomer(
    Strict,
    json_schema_extra={
        "examples": [
            {
                "bank_account_id": "acc_3f6c2a9d8e7b4c1a9f0e2d3c4b5a6978",
                "name": "Alice",
                "email": "alice@acme.example",
                "address": "1 Alice Street",
            }
        ]
    },
):
    customer_id: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$", description="admins only"
    )
    bank_account_id: AccountId
    name: Annotated[str, Field(max_length=200, min_length=1), NoSensitiveData]
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    address: Annotated[str, Field(max_length=500, min_length=1), NoSensitiveData]


class CustomerOut(BaseModel):
    id: str
    bank_account_id: str
    name: str
    email: str
    address: str
    created_at: str


class AddItem(
    Strict,
    json_schema_extra={
        "examples": [{"product_id": "prd_5e6f7a8b9c0d4e1f8a2b3c4d5e6f7a8b", "quantity": 2}]
    },
):
    product_id: str = Field(min_length=1, max_length=64)
    quantity: Quantity = 1


class UpdateItem(Strict, json_schema_extra={"examples": [{"quantity": 3}]}):
    quantity: Quantity


class LineOut(BaseModel):
    item_id: str
    product_id: str
    sku: str
    name: str
    unit_price: int
    quantity: int
    amount: int


class CartOut(BaseModel):
    items: list[LineOut]
    subtotal: int


class TotalsOut(BaseModel):
    subtotal: int
    tax: int
    shipping: int
    total: int


class OrderOut(BaseModel):
    id: str
    customer_id: str
    status: OrderStatus
    reason: str
    lines: list[LineOut]
    totals: TotalsOut
    currency: str
    payment_id: str | None
    refund_id: str | None
    ship_to: str | None = Field(description="null once the customer's data was erased")
    created_at: str
    updated_at: str


class SetOrderStatus(Strict, json_schema_extra={"examples": [{"status": "SHIPPED"}]}):
    status: OrderStatus
