"""E-commerce under concurrent load: product reads, and checkout through banking.

Identity, banking and e-commerce run under uvicorn against the embedded emulator. wrk
drives ``GET /products/{id}`` (cached read), ``GET /products?category=`` (a query) and
checkout: every measured checkout is a full saga (order, stock reservation, a payment in
banking through lift_mesh, confirmation). Carts are prepared before each wrk run and the
run stops once each cart was checked out, so the figures cover checkouts only. The
baseline beside them is the emulator's own GetItem latency. Reference targets (issue 8):
product queries under 25 ms.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
from devtools.estate import free_port

from bench.banking_endpoints import emulator_latency
from bench.harness import ROOT, print_table, save, uvicorn_server, wrk


def run(*, seconds: int = 5, connections: int = 16, carts: int = 300) -> dict[str, Any]:
    from devtools.emulator import Emulator

    with Emulator() as endpoint, tempfile.TemporaryDirectory() as tmp:
        identity_port, banking_port = free_port(), free_port()
        identity = f"http://127.0.0.1:{identity_port}"
        prefix = f"bench{uuid.uuid4().hex[:6]}-"
        env = {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LIFT_ENVIRONMENT": "test",
            "LIFT_DYNAMODB_ENDPOINT": endpoint,
            "LIFT_AUTO_CREATE_TABLES": "true",
            "LIFT_TABLE_PREFIX": prefix,
            "LIFT_JWT_ISSUER": "http://localhost:8000",
            "LIFT_JWKS_URL": f"{identity}/.well-known/jwks.json",
            "LIFT_RATE_LIMIT_REQUESTS": "100000000",
            "LIFT_IDENTITY_KEY_PATH": str(Path(tmp) / "key.pem"),
            "LIFT_IDENTITY_PORT": str(identity_port),
            "LIFT_MESH_SERVICES": json.dumps({"banking": [f"http://127.0.0.1:{banking_port}"]}),
            "ECOMMERCE_IDENTITY_URL": identity,
            # One payer account serves every bench customer: lift its fraud and daily caps.
            "BANKING_FRAUD_VELOCITY_LIMIT": "100000000",
            "BANKING_FRAUD_VELOCITY_WINDOW_SECONDS": "1",  # what the payer's item remembers
            "BANKING_DAILY_DEBIT_LIMIT": str(10**12),
        }
        with (
            uvicorn_server("lift_core.devidentity:app_from_environment", env, port=identity_port),
            uvicorn_server(
                "banking.main:app_from_environment",
                {**env, "LIFT_SERVICE_NAME": "banking"},
                port=banking_port,
            ) as banking,
            uvicorn_server(
                "ecommerce.main:app_from_environment", {**env, "LIFT_SERVICE_NAME": "ecommerce"}
            ) as shop,
        ):
            setup = asyncio.run(_prepare(identity, banking, shop))
            auth = {"Authorization": f"Bearer {setup['admin']}"}
            product_url = f"{shop}/api/v1/products/{setup['product']}"
            reads = {
                "by_id_1": wrk(product_url, seconds=seconds, connections=1, headers=auth),
                "by_id": wrk(product_url, seconds=seconds, connections=connections, headers=auth),
                "category": wrk(
                    f"{shop}/api/v1/products?category=bench&limit=20",
                    seconds=seconds,
                    connections=connections,
                    headers=auth,
                ),
            }
            checkout = {}
            for conns in (1, connections):
                tokens = asyncio.run(_fill_carts(identity, shop, setup, carts))
                tokens_file = Path(tmp) / "tokens.txt"
                tokens_file.write_text("\n".join(tokens) + "\n")
                checkout[conns] = wrk(
                    shop,
                    seconds=120,  # the script stops once every cart was checked out
                    connections=conns,
                    headers={},
                    script=ROOT / "bench/wrk_checkout.lua",
                    env={"WRK_TOKENS_FILE": str(tokens_file)},
                    timeout_seconds=30,
                )
            outcomes = asyncio.run(_outcomes(shop, setup["admin"]))
            baseline = emulator_latency(
                endpoint,
                f"{prefix}banking-accounts",
                {"tenant_id": "bench", "account_id": setup["payer"]},
            )
    rows: list[tuple[str, dict[str, Any]]] = [
        ("GET /products/{id}, 1 connection", reads["by_id_1"]),
        (f"GET /products/{{id}}, {connections} connections", reads["by_id"]),
        (f"GET /products?category=, {connections} connections", reads["category"]),
        ("POST /cart/checkout, 1 connection", checkout[1]),
        (f"POST /cart/checkout, {connections} connections", checkout[connections]),
    ]
    table = print_table(
        f"E-commerce under load (uvicorn 1 worker each, wrk -t1, embedded emulator; "
        f"checkout = {carts} full sagas per run)",
        ["route", "req/s", "p50 ms", "p99 ms", "non-2xx", "baseline: emulator GetItem p50 ms"],
        [
            [
                name,
                f"{r['rps']:,.0f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                str(r["errors"]),
                f"{baseline['get_item_ms']:.1f}",
            ]
            for name, r in rows
        ],
    )
    print(f"orders by status after {2 * carts} checkouts: {outcomes}")
    data = {"reads": reads, "checkout": checkout, "orders": outcomes, "baseline": baseline}
    save("ecommerce_endpoints", data, table)
    return data


async def _token(http: httpx.AsyncClient, identity: str, subject: str, roles: list[str]) -> str:
    body = {"tenant_id": "bench", "subject": subject, "roles": roles, "ttl_seconds": 7200}
    response = await http.post(f"{identity}/token", json=body)
    return str(response.raise_for_status().json()["access_token"])


async def _prepare(identity: str, banking: str, shop: str) -> dict[str, str]:
    """A store, a product with ample stock, one funded payer account with a mandate."""
    async with httpx.AsyncClient(timeout=30) as http:
        teller = {"Authorization": f"Bearer {await _token(http, identity, 'tina', ['teller'])}"}
        admin_token = await _token(http, identity, "ada", ["admin"])
        admin = {"Authorization": f"Bearer {admin_token}"}
        payer_token = await _token(http, identity, "payer", ["customer"])
        payer_auth = {"Authorization": f"Bearer {payer_token}"}

        async def account(kind: str, owner: str) -> str:
            r = await http.post(
                f"{banking}/api/v1/accounts",
                headers=teller,
                json={"type": kind, "currency": "EUR", "owner": owner},
            )
            return str(r.raise_for_status().json()["id"])

        merchant, payer = await account("merchant", "ecommerce"), await account("checking", "payer")
        (
            await http.post(
                f"{banking}/api/v1/accounts/{payer}/transactions",
                headers=teller,
                json={"kind": "deposit", "amount": 10**11, "currency": "EUR"},
            )
        ).raise_for_status()
        (
            await http.put(
                f"{banking}/api/v1/accounts/{payer}/mandates/{merchant}",
                headers=payer_auth,
                json={"max_amount": 10**9, "currency": "EUR"},
            )
        ).raise_for_status()
        (
            await http.put(
                f"{shop}/api/v1/store",
                headers=admin,
                json={
                    "merchant_account_id": merchant,
                    "currency": "EUR",
                    "tax_rate_bp": 2000,
                    "shipping_fee": 495,
                },
            )
        ).raise_for_status()
        product = ""
        for i in range(20):
            created = await http.post(
                f"{shop}/api/v1/products",
                headers=admin,
                json={
                    "sku": f"BENCH-{i}",
                    "name": f"Bench item {i}",
                    "category": "bench",
                    "price": 1_000 + i,
                    "currency": "EUR",
                    "quantity": 10**6,
                },
            )
            product = product or str(created.raise_for_status().json()["id"])
        return {"admin": admin_token, "payer": payer, "product": product}


async def _fill_carts(identity: str, shop: str, setup: dict[str, str], n: int) -> list[str]:
    """``n`` customers (registered by the admin on the shared payer account), one item
    each in the cart; their tokens."""
    admin = {"Authorization": f"Bearer {setup['admin']}"}
    limit = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=30) as http:

        async def one() -> str:
            async with limit:
                subject = f"c{uuid.uuid4().hex[:12]}"
                token = await _token(http, identity, subject, ["customer"])
                (
                    await http.post(
                        f"{shop}/api/v1/customers",
                        headers=admin,
                        json={
                            "customer_id": subject,
                            "bank_account_id": setup["payer"],
                            "name": "Bench Customer",
                            "email": "bench@example.com",
                            "address": "1 Bench Road",
                        },
                    )
                ).raise_for_status()
                (
                    await http.post(
                        f"{shop}/api/v1/cart/items",
                        headers={"Authorization": f"Bearer {token}"},
                        json={"product_id": setup["product"], "quantity": 1},
                    )
                ).raise_for_status()
                return token

        return list(await asyncio.gather(*(one() for _ in range(n))))


async def _outcomes(shop: str, admin_token: str) -> dict[str, int]:
    """Orders by status and reason: what the checkouts ended as."""
    counts: dict[str, int] = {}
    cursor = None
    async with httpx.AsyncClient(timeout=30) as http:
        while True:
            params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
            page = (
                await http.get(
                    f"{shop}/api/v1/orders",
                    params=params,
                    headers={"Authorization": f"Bearer {admin_token}"},
                )
            ).json()
            for order in page["items"]:
                key = f"{order['status']} {order['reason']}".strip()
                counts[key] = counts.get(key, 0) + 1
            cursor = page["next_cursor"]
            if cursor is None:
                return counts
