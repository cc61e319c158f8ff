"""The acceptance run: concurrent transfers with duplicate submissions conserve money."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest

from lift_core.audit import AuditRecorder, verify_events

from banking.bootstrap import Banking
from banking.domain.payments import LedgerEntry

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ACCOUNTS, CLIENTS, TRANSFERS, DUPLICATES, OPENING = 10, 20, 500, 60, 10_000


async def test_concurrent_transfers_with_duplicates_conserve_money(
    caller: Any, helpers: Any, banking: Banking
) -> None:
    rng = random.Random(7)
    teller = caller("tina", roles=["teller"])
    accounts = [
        await helpers.open_funded(teller, OPENING, owner=f"owner-{i}") for i in range(ACCOUNTS)
    ]
    # One caller on several connections: a key belongs to its caller (another caller's
    # identical key names another operation), so duplicates are the same teller retrying.
    clients = [caller("tina", roles=["teller"]) for _ in range(CLIENTS)]
    plan = []
    for n in range(TRANSFERS):
        source, destination = rng.sample(accounts, 2)
        plan.append(
            (
                f"t-{n}",
                {
                    "source_account_id": source,
                    "destination_account_id": destination,
                    "amount": rng.randint(1, 3_000),
                    "currency": "EUR",
                },
            )
        )
    # Some keys are submitted twice, concurrently, on different connections.
    submissions = plan + rng.sample(plan, DUPLICATES)
    rng.shuffle(submissions)
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    for item in submissions:
        queue.put_nowait(item)
    outcomes: dict[str, list[tuple[int, str | None]]] = {}

    statuses: Counter[int] = Counter()

    async def worker(client: Any) -> None:
        while not queue.empty():
            key, body = queue.get_nowait()
            # As a real client does: a 5xx or a still-in-progress 409 is retried with the
            # same key (under load a transfer may outlive the 10 s request timeout).
            for _ in range(5):
                response = await client.post(
                    "/api/v1/transfers", json=body, headers={"Idempotency-Key": key}
                )
                statuses[response.status_code] += 1
                in_progress = response.status_code == 409 and response.json()["type"] == (
                    "urn:lift:problem:idempotency-in-progress"
                )
                if response.status_code < 500 and not in_progress:
                    break
                await asyncio.sleep(0.2)
            assert response.status_code in (200, 201, 409), response.text
            transfer_id = response.json().get("id") if response.status_code != 409 else None
            outcomes.setdefault(key, []).append((response.status_code, transfer_id))

    await asyncio.gather(*(worker(c) for c in clients))
    print(f"statuses: {dict(statuses)}")

    storage = banking.storage
    balances = {a: storage.accounts.get("acme", a).balance for a in accounts}
    assert sum(balances.values()) == ACCOUNTS * OPENING
    assert min(balances.values()) >= 0
    for account, balance in balances.items():
        assert storage.ledger.balance_of("acme", account) == balance, account
    applied: Counter[str] = Counter()
    for account in accounts:
        for entry in _every_entry(banking, account):
            if entry.kind == "transfer":
                applied[entry.reference] += 1
    assert all(count == 2 for count in applied.values())  # one debit, one credit, once
    for key, results in outcomes.items():
        ids = {transfer_id for status, transfer_id in results if transfer_id}
        assert len(ids) <= 1, (key, results)  # a duplicate never made a second transfer
    succeeded = sum(1 for results in outcomes.values() if any(s != 409 for s, _ in results))
    assert len(applied) == succeeded
    assert succeeded > TRANSFERS // 2  # the run really moved money
    audit = banking.audit
    assert isinstance(audit, AuditRecorder)
    for stream in audit.streams("acme"):
        assert verify_events(stream, audit.store.read(stream)).ok


def _every_entry(banking: Banking, account: str) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    before: str | None = None
    while True:
        page, before = banking.storage.ledger.entries("acme", account, limit=100, before=before)
        entries += page
        if before is None:
            return entries
