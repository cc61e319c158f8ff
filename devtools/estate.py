"""``make run``: the embedded estate on one machine, no Docker.

Starts the emulator (in this process), the dev identity issuer and every service that
exists (uvicorn subprocesses), waits until each is healthy, seeds demo data for two
tenants, prints where everything is with a token per role, then supervises until Ctrl-C.
Plain subprocess supervision: no daemons, nothing left running after it exits.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devtools.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
TENANTS = ("acme", "globex")
ROLES = ("customer", "teller", "admin", "auditor", "clinician", "patient")


@dataclass(frozen=True)
class Service:
    name: str
    factory: str
    port: int


def _services(args: argparse.Namespace) -> list[Service]:
    return [
        Service("banking", "banking.main:app_from_environment", args.banking_port),
        Service("healthcare", "healthcare.main:app_from_environment", args.healthcare_port),
        Service("ecommerce", "ecommerce.main:app_from_environment", args.ecommerce_port),
    ]


def _env(args: argparse.Namespace, endpoint: str, service: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LIFT_ENVIRONMENT": "dev",
        "LIFT_SERVICE_NAME": service,
        "LIFT_DYNAMODB_ENDPOINT": endpoint,
        "LIFT_AUTO_CREATE_TABLES": "true",
        "LIFT_TABLE_PREFIX": "lift-dev-",
        "LIFT_JWKS_URL": f"http://127.0.0.1:{args.identity_port}/.well-known/jwks.json",
        "LIFT_IDENTITY_PORT": str(args.identity_port),
        "LIFT_IDENTITY_URL": f"http://127.0.0.1:{args.identity_port}",
        "LIFT_IDENTITY_KEY_PATH": str(ROOT / ".lift/dev-identity-key.pem"),
        # Services find each other through lift_mesh's static registry.
        "LIFT_MESH_SERVICES": json.dumps({"banking": [f"http://127.0.0.1:{args.banking_port}"]}),
        "ECOMMERCE_IDENTITY_URL": f"http://127.0.0.1:{args.identity_port}",
        "HEALTHCARE_IDENTITY_URL": f"http://127.0.0.1:{args.identity_port}",
        # A dev estate recovers within seconds (production keeps the 30 s defaults), and
        # its chaos switch is on: PUT /internal/faults (a platform operator: tenant platform,
        # role operator) slows or fails a service.
        "ECOMMERCE_RECOVERY_INTERVAL_SECONDS": "3",
        "ECOMMERCE_RECOVERY_MIN_AGE_SECONDS": "3",
        "HEALTHCARE_BILLING_RETRY_INTERVAL_SECONDS": "3",
        "HEALTHCARE_BILLING_RETRY_MIN_AGE_SECONDS": "3",
        "LIFT_FAULT_INJECTION_ENABLED": "true",
    }


LOGS = ROOT / ".lift" / "logs"


def uvicorn_argv(factory: str, port: int, *options: str) -> list[str]:
    """The one uvicorn command line for an app factory (the estate and the benchmarks)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        *options,
    ]


def _start(
    name: str, factory: str, port: int, env: dict[str, str], reload: bool
) -> subprocess.Popen[bytes]:
    options = (
        ["--reload", "--reload-dir", str(ROOT / "libs"), "--reload-dir", str(ROOT / "services")]
        if reload
        else []
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("ab")  # JSON lines; `tail -f` them
    return subprocess.Popen(  # noqa: S603 - our own interpreter
        uvicorn_argv(factory, port, *options),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def free_port() -> int:
    """A loopback port nothing listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_healthy(
    name: str, url: str, process: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    """Wait until ``url``/health/live answers 200, failing fast if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{name} did not become healthy at {url} within {timeout:.0f}s")


def _wait_or_point_at_log(name: str, url: str, process: subprocess.Popen[bytes]) -> None:
    try:
        wait_healthy(name, url, process)
    except SystemExit as exc:
        raise SystemExit(f"{exc}; its output is in {LOGS / name}.log") from None


def _token(identity: str, tenant: str, subject: str, roles: list[str]) -> str:
    response = httpx.post(
        f"{identity}/token",
        json={"tenant_id": tenant, "subject": subject, "roles": roles, "ttl_seconds": 12 * 3600},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _seed_banking(url: str, identity: str) -> dict[str, list[str]]:
    """Two customers and a shop per tenant, with balances. Skipped where already there."""
    seeded: dict[str, list[str]] = {}
    for tenant in TENANTS:
        teller = {"Authorization": f"Bearer {_token(identity, tenant, 'tina', ['teller'])}"}
        for owner, kind, amount in (
            ("alice", "checking", 250_000),
            ("bob", "savings", 90_000),
            ("ecommerce", "merchant", 0),  # the shop's account, owned by its service
            ("healthcare", "merchant", 0),  # the clinic's account, owned by its service
        ):
            own = {"Authorization": f"Bearer {_token(identity, tenant, owner, ['customer'])}"}
            existing: list[dict[str, Any]] = httpx.get(
                f"{url}/api/v1/accounts", headers=own
            ).json()["items"]
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
        admin = {"Authorization": f"Bearer {_token(identity, tenant, 'ada', ['admin'])}"}
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
        listed = httpx.get(f"{shop}/api/v1/products?limit=100", headers=admin).json()["items"]
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
            own = {"Authorization": f"Bearer {_token(identity, tenant, subject, ['customer'])}"}
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
        admin = {"Authorization": f"Bearer {_token(identity, tenant, 'ada', ['admin'])}"}
        doctor = {"Authorization": f"Bearer {_token(identity, tenant, 'dr-grey', ['clinician'])}"}
        alice = {"Authorization": f"Bearer {_token(identity, tenant, 'alice', ['customer'])}"}
        httpx.put(
            f"{url}/api/v1/clinic",
            headers=admin,
            json={"merchant_account_id": merchant, "currency": "EUR"},
        ).raise_for_status()
        found = httpx.get(f"{url}/api/v1/patients/search?mrn=MRN-0001", headers=admin).json()
        if found:
            continue  # seeded by an earlier run
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
        as_patient = {"Authorization": f"Bearer {_token(identity, tenant, 'alice', ['patient'])}"}
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


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.estate")
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.getenv("LIFT_EMULATOR_PORT", "4566"))
    )
    parser.add_argument(
        "--identity-port", type=int, default=int(os.getenv("LIFT_IDENTITY_PORT", "8000"))
    )
    parser.add_argument(
        "--banking-port", type=int, default=int(os.getenv("LIFT_BANKING_PORT", "8001"))
    )
    parser.add_argument(
        "--healthcare-port", type=int, default=int(os.getenv("LIFT_HEALTHCARE_PORT", "8002"))
    )
    parser.add_argument(
        "--ecommerce-port", type=int, default=int(os.getenv("LIFT_ECOMMERCE_PORT", "8003"))
    )
    parser.add_argument("--reload", action="store_true", help="restart services on code changes")
    parser.add_argument(
        "--ready-file", type=Path, help="written once the demo data is seeded (for tests)"
    )
    args = parser.parse_args()

    # Stop like Ctrl-C when a supervisor (or a test fixture) asks, even mid start-up.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    emulator = Emulator("127.0.0.1", args.emulator_port)
    endpoint = emulator.start()
    identity = f"http://127.0.0.1:{args.identity_port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        id_proc = _start(
            "identity",
            "lift_core.devidentity:app_from_environment",
            args.identity_port,
            _env(args, endpoint, "identity"),
            reload=False,
        )
        processes.append(id_proc)
        _wait_or_point_at_log("identity", identity, id_proc)
        urls = {}
        for service in _services(args):
            proc = _start(
                service.name,
                service.factory,
                service.port,
                _env(args, endpoint, service.name),
                args.reload,
            )
            processes.append(proc)
            urls[service.name] = f"http://127.0.0.1:{service.port}"
            _wait_or_point_at_log(service.name, urls[service.name], proc)
        accounts = _seed_banking(urls["banking"], identity)
        products = _seed_ecommerce(urls, identity, accounts)
        patients = _seed_healthcare(urls, identity, accounts)
        banner = _print_status(
            endpoint,
            identity=identity,
            urls=urls,
            accounts=accounts,
            products=products,
            patients=patients,
            elapsed=time.monotonic() - started,
        )
        if args.ready_file:
            # What the e2e suite needs to run every printed example, as printed.
            partial = args.ready_file.with_suffix(".partial")
            partial.write_text(json.dumps({"urls": urls, "banner": banner}))
            partial.replace(args.ready_file)  # atomic: a reader never sees half a file
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("a process exited; stopping the estate", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nstopping...")
    finally:
        # A second Ctrl-C (terminals signal the whole group; `uv run` forwards it too) must
        # not cut the clean-up short and orphan a service.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        emulator.stop()


def _print_status(
    endpoint: str,
    *,
    identity: str,
    urls: dict[str, str],
    accounts: dict[str, list[str]],
    products: dict[str, str],
    patients: dict[str, str],
    elapsed: float,
) -> str:
    """Prints the banner (URLs, tokens, examples) and returns it, for the ready file."""
    rows = [
        ("emulator", endpoint, "DynamoDB, KMS, Cloud Map (moto, serialized)"),
        ("identity", identity, f"{identity}/docs"),
        *((name, url, f"{url}/docs") for name, url in urls.items()),
    ]
    lines = [f"\nLift estate ready in {elapsed:.1f}s\n"]
    lines += [f"  {name:<11} {url:<24} {note}" for name, url, note in rows]
    lines += [f"\nLogs (JSON lines): tail -f {LOGS}/*.log", "\nTokens (12 h):"]
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
        tokens[role] = _token(identity, "acme", subject, [role])
        lines.append(f"  acme {role:<9} ({subject}): export TOKEN_{role.upper()}={tokens[role]}")
    banking = urls["banking"]
    alice, bob, shop, _ = accounts["acme"]
    healthcare = urls["healthcare"]
    record = patients.get("record", "<record id>")
    ecommerce = urls["ecommerce"]
    mug = products["MUG-001"]
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
  curl -s "{healthcare}/api/v1/patients/{patients.get("alice", "<patient id>")}/disclosures" \\
       -H "Authorization: Bearer $TOKEN_PATIENT"
  make token TENANT=globex SUB=carol ROLES=customer

Ctrl-C stops everything."""
    )
    banner = "\n".join(lines)
    print(banner, flush=True)
    return banner


if __name__ == "__main__":
    main()
