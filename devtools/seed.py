"""Demo data for any running estate, through its public APIs only: two tenants (acme, globex),
each with alice's and bob's bank accounts, the shop's and the clinic's merchant accounts, the
store's settings and three products, alice and bob as shop customers with mandates, Dr Grey
and alice as a patient with a care relationship and one note. Idempotent: a second run finds
what the first made. Then it prints the same banner as ``make run`` (tokens, examples).

``make seed`` (the compose estate on this machine's default ports), ``make seed
TARGET=url IDENTITY_URL=... BANKING_URL=... HEALTHCARE_URL=... ECOMMERCE_URL=...`` (a deployed
stage whose services trust that dev issuer); ``make run`` and ``make up`` seed by themselves.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

TENANTS = ("acme", "globex")
ROLES = ("customer", "teller", "admin", "auditor", "clinician", "patient")
SERVICES = {"identity": 8000, "banking": 8001, "healthcare": 8002, "ecommerce": 8003}


@dataclass(frozen=True)
class Demo:
    """What the banner names: acme's and globex's accounts (alice, bob, shop, clinic),
    acme's product ids by SKU and acme's patient and record."""

    accounts: dict[str, list[str]]
    products: dict[str, str]
    patients: dict[str, str]


def token(identity: str, tenant: str, subject: str, roles: list[str]) -> str:
    response = httpx.post(
        f"{identity}/token",
        json={"tenant_id": tenant, "subject": subject, "roles": roles, "ttl_seconds": 12 * 3600},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _get(url: str, headers: dict[str, str]) -> Any:
    response = httpx.get(url, headers=headers)
    response.raise_for_status()
    return response.json()


def _seed_banking(url: str, identity: str) -> dict[str, list[str]]:
    """Two customers and a shop per tenant, with balances. Skipped where already there."""
    seeded: dict[str, list[str]] = {}
    for tenant in TENANTS:
        teller = {"Authorization": f"Bearer {token(identity, tenant, 'tina', ['teller'])}"}
        for owner, kind, amount in (
            ("alice", "checking", 250_000),
            ("bob", "savings", 90_000),
            ("ecommerce", "merchant", 0),  # the shop's account, owned by its service
            ("healthcare", "merchant", 0),  # the clinic's account, owned by its service
        ):
            own = {"Authorization": f"Bearer {token(identity, tenant, owner, ['customer'])}"}
            existing: list[dict[str, Any]] = _get(f"{url}/api/v1/accounts", own)["items"]
            if existing:
                seeded.setdefault(tenant, []).append(existing[0]["id"])
                continue
            account = httpx.post(
                f"{url}/api/v1/accounts",
                headers=teller,
                json={"type": kind, "currency": "EUR", "owner": owner},
            ).json()
            if amount:
                httpx.post(
                    f"{url}/api/v1/accounts/{account['id']}/transactions",
                    headers=teller,
                    json={
                        "kind": "deposit",
                        "amount": amount,
                        "currency": "EUR",
                        "reference": "demo opening balance",
                    },
                ).raise_for_status()
            seeded.setdefault(tenant, []).append(account["id"])
    return seeded


PRODUCTS = (
    ("MUG-001", "Enamel mug", "kitchen", 1_299, 25),
    ("TEA-042", "Green tea, 100 g", "tea", 650, 80),
    ("LAMP-7", "Desk lamp", "office", 4_900, 3),
)


def _seed_ecommerce(
    urls: dict[str, str], identity: str, accounts: dict[str, list[str]]
) -> dict[str, str]:
    """Per tenant: the store settings, three products with stock, alice and bob as
    customers whose bank accounts have a mandate for the shop. Idempotent."""
    shop, bank = urls["ecommerce"], urls["banking"]
    ids: dict[str, str] = {}
    for tenant in TENANTS:
        alice_acc, bob_acc, merchant, _ = accounts[tenant]
        admin = {"Authorization": f"Bearer {token(identity, tenant, 'ada', ['admin'])}"}
        httpx.put(
            f"{shop}/api/v1/store",
            headers=admin,
            json={
                "merchant_account_id": merchant,
                "currency": "EUR",
                "tax_rate_bp": 2000,
                "shipping_fee": 495,
                "free_shipping_from": 5_000,
            },
        ).raise_for_status()
        listed = _get(f"{shop}/api/v1/products?limit=100", admin)["items"]
        have = {p["sku"]: p["id"] for p in listed}
        for sku, name, category, price, quantity in PRODUCTS:
            if sku not in have:
                created = httpx.post(
                    f"{shop}/api/v1/products",
                    headers=admin,
                    json={
                        "sku": sku,
                        "name": name,
                        "category": category,
                        "price": price,
                        "currency": "EUR",
                        "quantity": quantity,
                    },
                )
                created.raise_for_status()
                have[sku] = created.json()["id"]
        if tenant == "acme":
            ids = have
        for subject, account in (("alice", alice_acc), ("bob", bob_acc)):
            own = {"Authorization": f"Bearer {token(identity, tenant, subject, ['customer'])}"}
            httpx.put(
                f"{bank}/api/v1/accounts/{account}/mandates/{merchant}",
                headers=own,
                json={"max_amount": 100_000, "currency": "EUR"},
            ).raise_for_status()
            registered = httpx.post(
                f"{shop}/api/v1/customers",
                headers=own,
                json={
                    "bank_account_id": account,
                    "name": subject.title(),
                    "email": f"{subject}@{tenant}.example",
                    "address": f"1 {subject.title()} Street",
                },
            )
            if registered.status_code != 409:  # 409: registered by an earlier run
                registered.raise_for_status()
    return ids


def _seed_healthcare(
    urls: dict[str, str], identity: str, accounts: dict[str, list[str]]
) -> dict[str, str]:
    """Per tenant: the clinic's merchant account, Dr Grey (clinician), alice as a patient
    with a care relationship, a mandate for the clinic and one note. Idempotent."""
    url, bank = urls["healthcare"], urls["banking"]
    ids: dict[str, str] = {}
    for tenant in TENANTS:
        alice_acc, _, _, merchant = accounts[tenant]
        admin = {"Authorization": f"Bearer {token(identity, tenant, 'ada', ['admin'])}"}
        doctor = {"Authorization": f"Bearer {token(identity, tenant, 'dr-grey', ['clinician'])}"}
        alice = {"Authorization": f"Bearer {token(identity, tenant, 'alice', ['customer'])}"}
        httpx.put(
            f"{url}/api/v1/clinic",
            headers=admin,
            json={"merchant_account_id": merchant, "currency": "EUR"},
        ).raise_for_status()
        found = _get(f"{url}/api/v1/patients/search?mrn=MRN-0001", admin)["items"]
        if found:  # seeded by an earlier run: name what it made
            if tenant == "acme":
                pid = found[0]["id"]
                chart = _get(f"{url}/api/v1/patients/{pid}/records?purpose=treatment", doctor)
                ids = {"alice": pid, "record": chart["items"][0]["id"]}
            continue
        provider = httpx.post(
            f"{url}/api/v1/providers",
            headers=admin,
            json={
                "npi": "1234567893",
                "name": "Dr Meredith Grey",
                "kind": "clinician",
                "subject": "dr-grey",
            },
        )
        provider.raise_for_status()
        httpx.put(
            f"{bank}/api/v1/accounts/{alice_acc}/mandates/{merchant}",
            headers=alice,
            json={"max_amount": 50_000, "currency": "EUR"},
        ).raise_for_status()
        patient = httpx.post(
            f"{url}/api/v1/patients",
            headers=admin,
            json={
                "mrn": "MRN-0001",
                "name": "Alice Example",
                "date_of_birth": "1985-06-01",
                "address": "1 Alice Street",
                "insurance": "ACME-HEALTH 12345",
                "ssn": "123-45-6789",
                "subject": "alice",
            },
        )
        patient.raise_for_status()
        pid = patient.json()["id"]
        as_patient = {"Authorization": f"Bearer {token(identity, tenant, 'alice', ['patient'])}"}
        httpx.put(  # only the patient links the account invoices are charged to
            f"{url}/api/v1/patients/{pid}/bank-account",
            headers=as_patient,
            json={"bank_account_id": alice_acc},
        ).raise_for_status()
        httpx.post(
            f"{url}/api/v1/encounters",
            headers=admin,
            json={"patient_id": pid, "provider_id": provider.json()["id"]},
        ).raise_for_status()
        note = httpx.post(
            f"{url}/api/v1/records",
            headers=doctor,
            json={"patient_id": pid, "kind": "note", "content": "Routine check-up, all well."},
        )
        note.raise_for_status()
        if tenant == "acme":
            ids = {"alice": pid, "record": note.json()["id"]}
    return ids


def banner(
    identity: str,
    urls: dict[str, str],
    demo: Demo,
    *,
    extra: Sequence[tuple[str, str, str]] = (),
    logs: str = "make logs",
) -> str:
    """Where everything is, a token per role and copy-paste examples (every one of them is
    run by tests/e2e/test_printed_examples.py against the estate it was printed for)."""
    rows = [
        *extra,
        ("identity", identity, f"{identity}/docs"),
        *((name, url, f"{url}/docs") for name, url in urls.items()),
    ]
    lines = [f"  {name:<11} {url:<24} {note}" for name, url, note in rows]
    lines += [f"\nLogs: {logs} (one request: add REQUEST=<request id>)", "\nTokens (12 h):"]
    tokens = {}
    for role in ROLES:
        subject = {
            "customer": "alice",
            "teller": "tina",
            "admin": "ada",
            "auditor": "audrey",
            "clinician": "dr-grey",
            "patient": "alice",
        }[role]
        tokens[role] = token(identity, "acme", subject, [role])
        lines.append(f"  acme {role:<9} ({subject}): export TOKEN_{role.upper()}={tokens[role]}")
    banking = urls["banking"]
    alice, bob, shop, _ = demo.accounts["acme"]
    healthcare = urls["healthcare"]
    record, patient = demo.patients["record"], demo.patients["alice"]
    ecommerce = urls["ecommerce"]
    mug = demo.products["MUG-001"]
    # make token asks the issuer on this machine's default port unless told otherwise.
    token_env = "" if identity == default_url("identity") else f"LIFT_IDENTITY_URL={identity} "
    transfer = json.dumps(
        {
            "source_account_id": alice,
            "destination_account_id": bob,
            "amount": 1500,
            "currency": "EUR",
        }
    )
    lines.append(
        f"""
Try (tenant acme; alice owns {alice}, bob {bob}, shop {shop}):
  curl -s {banking}/api/v1/accounts -H "Authorization: Bearer $TOKEN_CUSTOMER"
  curl -s {banking}/api/v1/accounts/{alice}/balance -H "Authorization: Bearer $TOKEN_CUSTOMER"
  curl -s -X POST {banking}/api/v1/transfers -H "Authorization: Bearer $TOKEN_CUSTOMER" \\
       -H "Idempotency-Key: demo-1" -H "Content-Type: application/json" \\
       -d '{transfer}'
  curl -s {banking}/api/v1/compliance/audit-trail/verify -H "Authorization: Bearer $TOKEN_AUDITOR"
  curl -s "{ecommerce}/api/v1/products?category=kitchen" -H "Authorization: Bearer $TOKEN_CUSTOMER"
  curl -s -X POST {ecommerce}/api/v1/cart/items -H "Authorization: Bearer $TOKEN_CUSTOMER" \\
       -H "Content-Type: application/json" -d '{{"product_id": "{mug}", "quantity": 2}}'
  curl -s -X POST {ecommerce}/api/v1/cart/checkout -H "Authorization: Bearer $TOKEN_CUSTOMER" \\
       -H "Idempotency-Key: order-1"
  curl -s "{healthcare}/api/v1/records/{record}?purpose=treatment" \\
       -H "Authorization: Bearer $TOKEN_CLINICIAN"
  curl -s "{healthcare}/api/v1/records/{record}?purpose=payment" \\
       -H "Authorization: Bearer $TOKEN_CLINICIAN"   # 403: payment is not a clinical purpose
  curl -s "{healthcare}/api/v1/patients/{patient}/disclosures" \\
       -H "Authorization: Bearer $TOKEN_PATIENT"
  {token_env}make token TENANT=globex SUB=carol ROLES=customer"""
    )
    return "\n".join(lines)


def seed(identity: str, urls: dict[str, str]) -> Demo:
    accounts = _seed_banking(urls["banking"], identity)
    products = _seed_ecommerce(urls, identity, accounts)
    patients = _seed_healthcare(urls, identity, accounts)
    return Demo(accounts, products, patients)


def default_url(service: str) -> str:
    """``<SERVICE>_URL``, else 127.0.0.1 on ``LIFT_<SERVICE>_PORT`` or the estates' port."""
    port = os.environ.get(f"LIFT_{service.upper()}_PORT", str(SERVICES[service]))
    return os.environ.get(f"{service.upper()}_URL") or f"http://127.0.0.1:{port}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.seed", description=__doc__.splitlines()[0]
    )
    for service in SERVICES:
        parser.add_argument(
            f"--{service}", default=default_url(service), help=f"{service}'s base URL"
        )
    parser.add_argument(
        "--logs", default="make logs ESTATE=compose", help="how this estate's logs are read"
    )
    args = parser.parse_args(argv)
    urls = {name: getattr(args, name).rstrip("/") for name in SERVICES if name != "identity"}
    identity = args.identity.rstrip("/")
    try:
        demo = seed(identity, urls)
    except httpx.HTTPError as exc:
        raise SystemExit(f"seed: {exc} (is the estate up? make up, or make run)") from None
    print(banner(identity, urls, demo, logs=args.logs), flush=True)


if __name__ == "__main__":
    main()
