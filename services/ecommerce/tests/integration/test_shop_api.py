"""The catalogue, carts, customers' data rights and bad input, through the API."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def test_skus_are_unique_per_tenant_and_categories_page_by_cursor(estate: Any) -> None:
    await estate.open_store()
    await estate.open_store("globex")
    admin = estate.shop("ada", roles=["admin"])
    body = {"sku": "TEA-1", "name": "Green tea", "category": "tea", "price": 450, "currency": "EUR"}
    assert (await admin.post("/api/v1/products", json=body)).status_code == 201
    taken = await admin.post("/api/v1/products", json=body)
    assert (taken.status_code, taken.json()["type"]) == (409, "urn:lift:problem:sku-taken")
    other = estate.shop("gus", roles=["admin"], tenant="globex")
    assert (await other.post("/api/v1/products", json=body)).status_code == 201

    for _ in range(4):
        await estate.product(price=100, quantity=1, category="cups")
    customer = estate.shop("paula")
    seen, cursor = [], None
    while True:
        params = {"category": "cups", "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await customer.get("/api/v1/products", params=params)).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4
    found = (await customer.get("/api/v1/products/search", params={"q": "green"})).json()
    assert [p["sku"] for p in found["items"]] == ["TEA-1"]
    hits, cursor = [], None
    while True:  # one at a time: every match is reachable through the cursor
        params = {"q": "enamel", "limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (await customer.get("/api/v1/products/search", params=params)).json()
        hits += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(hits) == len(set(hits)) == 4
    bad = await customer.get("/api/v1/products", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400


async def test_product_reads_are_cached_and_an_update_invalidates_them(estate: Any) -> None:
    await estate.open_store()
    mug = await estate.product(price=1_000, quantity=1)
    catalog = estate.ecommerce.catalog
    catalog._cache = type(catalog._cache or {})(maxsize=100, ttl=60) if catalog._cache else None
    from cachetools import TTLCache

    catalog._cache = TTLCache(maxsize=100, ttl=60)
    admin, customer = estate.shop("ada", roles=["admin"]), estate.shop("quinn")
    assert (await customer.get(f"/api/v1/products/{mug}")).json()["price"] == 1_000
    assert mug in {k[1] for k in catalog._cache}
    changed = await admin.put(f"/api/v1/products/{mug}", json={"price": 1_250})
    assert changed.json()["price"] == 1_250
    assert (await customer.get(f"/api/v1/products/{mug}")).json()["price"] == 1_250
    hidden = await admin.put(f"/api/v1/products/{mug}", json={"status": "archived"})
    assert hidden.status_code == 200
    assert (await customer.get(f"/api/v1/products/{mug}")).status_code == 404


async def test_stock_cannot_be_set_below_what_open_orders_hold(estate: Any) -> None:
    await estate.open_store()
    mug = await estate.product(price=1_000, quantity=3)
    shop, _ = await estate.customer("rita", funds=50_000)
    await shop.post("/api/v1/cart/items", json={"product_id": mug, "quantity": 2})
    estate.link.mode = "down"
    assert (await shop.post("/api/v1/cart/checkout", headers=estate.headers())).status_code == 202
    admin = estate.shop("ada", roles=["admin"])
    low = await admin.put(f"/api/v1/products/{mug}/inventory", json={"quantity": 1})
    assert (low.status_code, low.json()["type"]) == (
        409,
        "urn:lift:problem:inventory-below-reserved",
    )
    ok = await admin.put(f"/api/v1/products/{mug}/inventory", json={"quantity": 7})
    assert (ok.json()["quantity"], ok.json()["reserved"], ok.json()["available"]) == (7, 2, 5)
    estate.link.mode = "up"
    await estate.ecommerce.checkout.recover()


async def test_export_then_erasure_leaves_orders_but_no_readable_personal_data(
    estate: Any,
) -> None:
    await estate.open_store()
    mug = await estate.product(price=1_000, quantity=5)
    shop, _ = await estate.customer("sam", funds=50_000)
    await shop.post("/api/v1/cart/items", json={"product_id": mug, "quantity": 1})
    key = estate.headers()
    order = (await shop.post("/api/v1/cart/checkout", headers=key)).json()
    idempotency = estate.ecommerce.storage.orders.model.Meta.table_name.replace(
        "ecommerce-orders", "ecommerce-idempotency"
    )

    export = (await shop.get("/api/v1/customers/sam/export")).json()
    assert export["customer"]["email"] == "sam@example.com"
    assert [o["id"] for o in export["orders"]] == [order["id"]]
    assert export["orders"][0]["ship_to"] == "sam street 1"
    stored = estate.ecommerce.storage.customers.get("acme", "sam")
    assert "sam@example.com" not in str(stored.pii)  # encrypted at rest

    assert (await shop.delete("/api/v1/customers/sam")).status_code == 204
    assert (await shop.get("/api/v1/customers/sam")).status_code == 410
    assert (await shop.get("/api/v1/customers/sam/export")).status_code == 410
    admin = estate.shop("ada", roles=["admin"])
    kept = (await admin.get(f"/api/v1/orders/{order['id']}")).json()
    assert kept["totals"] == order["totals"]
    assert kept["ship_to"] is None  # the copy on the order is shredded too
    # Replaying the checkout's key answers the order as it is now: the address is gone.
    replay = await shop.post("/api/v1/cart/checkout", headers=key)
    assert replay.status_code == 200
    assert replay.json()["ship_to"] is None
    assert "sam street" not in replay.text
    # Nor was the answer kept anywhere else: no idempotency record holds it in clear.
    import boto3

    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=estate.ecommerce.storage.orders.model.Meta.host,
        region_name="us-east-1",
    )
    items = dynamodb.scan(TableName=idempotency)["Items"]
    assert "sam street" not in str(items)
    cipher = estate.ecommerce.cipher
    from lift_core.protection import SubjectErased

    with pytest.raises(SubjectErased):
        cipher.decrypt("acme", "sam", "email", stored.pii["email"])
    assert (await shop.delete("/api/v1/customers/sam")).status_code == 204  # idempotent


async def test_bad_input_answers_a_clear_problem(estate: Any) -> None:
    await estate.open_store()
    await estate.open_store("globex")
    mug = await estate.product(price=1_000, quantity=5)
    theirs = await estate.product(price=1_000, quantity=5, tenant="globex")
    shop, tom_account = await estate.customer("tom", funds=10_000)
    stranger = estate.shop("tom", tenant="globex")
    admin = estate.shop("ada", roles=["admin"])
    cases: list[tuple[Any, str, str, Any, dict[str, str], int, str]] = [
        (
            shop,
            "POST",
            "/api/v1/cart/items",
            {"product_id": "prd_nope"},
            {},
            404,
            "product-not-found",
        ),
        (
            shop,
            "POST",
            "/api/v1/cart/items",
            {"product_id": mug, "quantity": 0},
            {},
            422,
            "invalid-quantity",
        ),
        (shop, "POST", "/api/v1/cart/items", {"product_id": theirs}, {}, 404, "product-not-found"),
        (
            shop,
            "POST",
            "/api/v1/cart/items",
            {"product_id": mug, "quantity": "2"},
            {},
            422,
            "validation-error",
        ),
        (shop, "POST", "/api/v1/cart/checkout", None, estate.headers(), 422, "empty-cart"),
        (shop, "POST", "/api/v1/cart/checkout", None, {}, 400, "idempotency-key-required"),
        (
            shop,
            "PUT",
            "/api/v1/cart/items/prd_nope",
            {"quantity": 1},
            {},
            404,
            "cart-item-not-found",
        ),
        (shop, "POST", "/api/v1/products", {"sku": "X-1"}, {}, 422, "validation-error"),
        (
            shop,
            "PUT",
            "/api/v1/store",
            {"merchant_account_id": "a", "currency": "EUR", "tax_rate_bp": 0, "shipping_fee": 0},
            {},
            403,
            "not-permitted",
        ),
        (
            admin,
            "POST",
            "/api/v1/products",
            {"sku": "USD-1", "name": "x", "category": "x", "price": 1, "currency": "USD"},
            {},
            422,
            "currency-mismatch",
        ),
        (
            admin,
            "PUT",
            f"/api/v1/products/{mug}/inventory",
            {"quantity": -1},
            {},
            422,
            "validation-error",
        ),
        (shop, "GET", "/api/v1/orders/ord_nope", None, {}, 404, "order-not-found"),
        (shop, "GET", "/api/v1/customers/someone-else", None, {}, 404, "customer-not-found"),
        (stranger, "GET", "/api/v1/customers/tom", None, {}, 404, "customer-not-found"),
        (
            estate.shop("uma"),  # someone else's bank account
            "POST",
            "/api/v1/customers",
            {"bank_account_id": tom_account, "name": "U", "email": "u@x.example", "address": "x"},
            {},
            422,
            "bank-account-not-found",
        ),
        (
            shop,
            "POST",
            "/api/v1/customers",
            {"bank_account_id": tom_account, "name": "T", "email": "t@x.example", "address": "x"},
            {},
            409,
            "customer-exists",
        ),
        (shop, "POST", "/api/v1/orders/ord_nope/cancel", None, {}, 404, "order-not-found"),
        (
            admin,
            "PUT",
            "/api/v1/orders/ord_nope/status",
            {"status": "SHIPPED"},
            {},
            404,
            "order-not-found",
        ),
        (
            admin,
            "PUT",
            "/api/v1/orders/ord_nope/status",
            {"status": "LOST"},
            {},
            422,
            "validation-error",
        ),
    ]
    for client, method, path, body, hdrs, status, slug in cases:
        response = await client.request(method, path, json=body, headers=hdrs)
        assert (response.status_code, response.headers["content-type"]) == (
            status,
            "application/problem+json",
        ), (method, path, response.text)
        assert response.json()["type"] == f"urn:lift:problem:{slug}", (method, path, response.text)


async def test_registering_while_banking_is_down_is_a_503_not_a_500(estate: Any) -> None:
    await estate.open_store()
    estate.link.mode = "down"
    answer = await estate.shop("vic").post(
        "/api/v1/customers",
        json={"bank_account_id": "acc_x", "name": "V", "email": "v@x.example", "address": "x"},
    )
    assert (answer.status_code, answer.json()["type"]) == (
        503,
        "urn:lift:problem:payment-service-unavailable",
    )
