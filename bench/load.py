"""``make load``: each service's main journey under load, with Locust, against a running estate.

- banking: a keyed transfer between alice's and bob's accounts (each user moves one cent
  back and forth), then the payer's balance;
- e-commerce: add a product to the cart, check out (the saga charges the customer through
  banking), then read the order;
- healthcare: Dr Grey reads alice's note for treatment (consent, access checks, decryption,
  audit and disclosure).

The estate is seeded first through its public APIs (``devtools.seed``, idempotent), and the
tea's stock is raised so checkouts do not run out. ``TARGET=local`` and ``TARGET=compose``
use the estates' ports on 127.0.0.1 (both estates publish the same ones; start one with
``make run`` or ``make up``); ``TARGET=url`` takes ``IDENTITY_URL``, ``BANKING_URL``,
``HEALTHCARE_URL`` and ``ECOMMERCE_URL``. Prints, per step, requests, failures, throughput and
p50/p95/p99, and exits 1 if any request failed or a step never ran.

Each journey runs as one tenant, and a tenant may make ``LIFT_RATE_LIMIT_REQUESTS`` requests
a minute per instance (1,200): past that the estate answers 429, which counts as a failure.
To measure past the limit, start the estate with it raised:
``LIFT_RATE_LIMIT_REQUESTS=1000000 make run``.
"""

from __future__ import annotations

import locust  # first: it patches the standard library for gevent

# isort: split
import argparse
import itertools
import os
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

import gevent
from devtools.seed import SERVICES, default_url, seed, token
from locust.env import Environment

from bench.harness import print_table

STEPS = {
    "banking": ("POST /transfers", "GET /accounts/{id}/balance"),
    "ecommerce": ("POST /cart/items", "POST /cart/checkout", "GET /orders/{id}"),
    "healthcare": ("GET /records/{id}?purpose=treatment",),
}


def _bearer(identity: str, subject: str, roles: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(identity, 'acme', subject, roles)}"}


class BankingJourney(locust.HttpUser):
    wait_time = locust.constant(0)
    pairs: ClassVar[itertools.cycle[tuple[str, str, dict[str, str]]]]

    @locust.task
    def transfer(self) -> None:
        source, destination, headers = next(self.pairs)
        self.client.post(
            "/api/v1/transfers",
            name="POST /transfers",
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            json={
                "source_account_id": source,
                "destination_account_id": destination,
                "amount": 1,
                "currency": "EUR",
                "reference": "load",
            },
        )
        self.client.get(
            f"/api/v1/accounts/{source}/balance",
            name="GET /accounts/{id}/balance",
            headers=headers,
        )


class ShopJourney(locust.HttpUser):
    wait_time = locust.constant(0)
    customers: ClassVar[itertools.cycle[dict[str, str]]]
    product: ClassVar[str]

    def on_start(self) -> None:
        self.headers = next(self.customers)  # one customer per user: one cart each

    @locust.task
    def checkout(self) -> None:
        self.client.post(
            "/api/v1/cart/items",
            name="POST /cart/items",
            headers=self.headers,
            json={"product_id": self.product, "quantity": 1},
        )
        answer = self.client.post(
            "/api/v1/cart/checkout",
            name="POST /cart/checkout",
            headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        if answer.status_code in (201, 202):
            self.client.get(
                f"/api/v1/orders/{answer.json()['id']}",
                name="GET /orders/{id}",
                headers=self.headers,
            )


class ClinicJourney(locust.HttpUser):
    wait_time = locust.constant(0)
    doctor: ClassVar[dict[str, str]]
    record: ClassVar[str]

    @locust.task
    def read_record(self) -> None:
        self.client.get(
            f"/api/v1/records/{self.record}?purpose=treatment",
            name="GET /records/{id}?purpose=treatment",
            headers=self.doctor,
        )


JOURNEYS: dict[str, type[locust.HttpUser]] = {
    "banking": BankingJourney,
    "ecommerce": ShopJourney,
    "healthcare": ClinicJourney,
}


def prepare(urls: dict[str, str]) -> None:
    """Seed the estate and hand each journey its tokens and ids."""
    identity = urls["identity"]
    demo = seed(identity, {k: v for k, v in urls.items() if k != "identity"})
    alice, bob, _, _ = demo.accounts["acme"]
    as_alice = _bearer(identity, "alice", ["customer"])
    as_bob = _bearer(identity, "bob", ["customer"])
    BankingJourney.pairs = itertools.cycle([(alice, bob, as_alice), (bob, alice, as_bob)])
    ShopJourney.customers = itertools.cycle([as_alice, as_bob])
    ShopJourney.product = demo.products["TEA-042"]
    admin = _bearer(identity, "ada", ["admin"])
    import httpx

    httpx.put(
        f"{urls['ecommerce']}/api/v1/products/{ShopJourney.product}/inventory",
        headers=admin,
        json={"quantity": 1_000_000},
    ).raise_for_status()
    ClinicJourney.doctor = _bearer(identity, "dr-grey", ["clinician"])
    ClinicJourney.record = demo.patients["record"]


def run(service: str, host: str, *, users: int, seconds: float) -> list[list[str]]:
    """One journey for ``seconds`` with ``users`` at once; a table row per step. The shop
    has two seeded customers, each with one cart: at most two checkout users."""
    if service == "ecommerce":
        users = min(users, 2)
    env = Environment(user_classes=[JOURNEYS[service]], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    limited = sum(e.occurrences for e in env.stats.errors.values() if "429" in str(e.error))
    if limited:
        print(f"{service}: {limited} requests were rate-limited (429); see --help")
    rows = []
    for step in STEPS[service]:
        entry: Any = env.stats.get(step, step.partition(" ")[0])
        percentiles = [entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99)]
        rows.append(
            [
                service,
                step,
                str(users),
                str(entry.num_requests),
                str(entry.num_failures),
                f"{entry.num_requests / seconds:.1f}",
                *(f"{p:.0f}" for p in percentiles),
            ]
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--target", choices=["local", "compose", "url"], default="local")
    parser.add_argument("--users", type=int, default=2, help="concurrent users per journey")
    parser.add_argument("--seconds", type=float, default=20.0, help="per journey")
    parser.add_argument("--services", default=",".join(JOURNEYS), help="comma-separated")
    args = parser.parse_args(argv)
    if args.target == "url":
        missing = [f"{s.upper()}_URL" for s in SERVICES if not os.environ.get(f"{s.upper()}_URL")]
        if missing:
            parser.error(f"TARGET=url needs {', '.join(missing)}")
    urls = {service: default_url(service) for service in SERVICES}
    prepare(urls)
    rows: list[list[str]] = []
    for service in args.services.split(","):
        rows += run(service, urls[service], users=args.users, seconds=args.seconds)
    print_table(
        f"make load TARGET={args.target}: {args.seconds:.0f} s per journey (times in ms)",
        ["service", "step", "users", "requests", "failures", "req/s", "p50", "p95", "p99"],
        rows,
    )
    # A step that failed, or never ran, fails the run.
    return 1 if any(row[4] != "0" or row[3] == "0" for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
