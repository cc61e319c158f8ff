"""Healthcare and the real banking app in one process, on the embedded emulator.

Every PHI value a test gives a patient (name, date of birth, SSN, record content) is
declared restricted: the session fails if any of them shows up in a log line or an audit
item (see the root conftest).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.banking_link import BankingLink, MintedTokens

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier
from lift_mesh import MeshSettings, ServiceClient

from banking.config import BankingSettings
from banking.main import create_banking_app
from healthcare.adapters.banking import BankingPayments
from healthcare.bootstrap import Clinic as ClinicGraph
from healthcare.bootstrap import bootstrap
from healthcare.config import HealthcareSettings
from healthcare.main import create_healthcare_app


@dataclass
class Clinic:
    banking_app: FastAPI
    app: FastAPI
    graph: ClinicGraph  # what app serves
    link: BankingLink
    mint: Callable[..., str]
    canary: Callable[[str], str]
    tenant: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}")
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    record_reads: list[tuple[str, str]] = field(default_factory=list)  # (tenant, record id)

    def _client(
        self, app: FastAPI, subject: str, roles: list[str], tenant: str
    ) -> httpx.AsyncClient:
        token = self.mint(tenant, subject, roles=roles)

        async def count_record_reads(response: httpx.Response) -> None:
            path = response.request.url.path
            if response.request.method == "GET" and path.startswith("/api/v1/records/"):
                self.record_reads.append((tenant, path.rsplit("/", 1)[-1]))

        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
            event_hooks={"response": [count_record_reads]} if app is self.app else {},
        )
        self.clients.append(client)
        return client

    def as_(self, subject: str, role: str, tenant: str | None = None) -> httpx.AsyncClient:
        return self._client(self.app, subject, [role], tenant or self.tenant)

    def bank(self, subject: str, role: str = "customer") -> httpx.AsyncClient:
        return self._client(self.banking_app, subject, [role], self.tenant)

    async def patient(
        self, *, subject: str | None = None, bank_account_id: str | None = None
    ) -> dict[str, Any]:
        """A patient whose PHI values are all restricted canaries; returns them too."""
        n = uuid.uuid4().hex[:8]
        phi = {
            "mrn": f"MRN-{n.upper()}",
            "name": self.canary(f"Pat Canary{n}"),
            "date_of_birth": self.canary(
                f"19{int(n[:2], 16) % 80 + 10}-{int(n[2:4], 16) % 12 + 1:02d}-"
                f"{int(n[4:6], 16) % 28 + 1:02d}"
            ),
            "address": f"{n} Elm Street",
            "phone": "+1 555 0100",
            "insurance": f"ACME-HEALTH {n}",
            "ssn": self.canary(
                f"{int(n, 16) % 900 + 100:03d}-{int(n, 16) % 89 + 10:02d}-"
                f"{int(n, 16) % 9000 + 1000:04d}"
            ),
            "subject": subject,
        }
        admin = self.as_("ada", "admin")
        created = await admin.post("/api/v1/patients", json={k: v for k, v in phi.items() if v})
        assert created.status_code == 201, created.text
        pid = created.json()["id"]
        if bank_account_id is not None:  # the patient links it, as only they may
            assert subject is not None
            linked = await self.as_(subject, "patient").put(
                f"/api/v1/patients/{pid}/bank-account", json={"bank_account_id": bank_account_id}
            )
            assert linked.status_code == 204, linked.text
        return {**phi, "bank_account_id": bank_account_id, "id": pid}

    async def provider(self, subject: str, kind: str = "clinician") -> str:
        admin = self.as_("ada", "admin")
        created = await admin.post(
            "/api/v1/providers",
            json={"npi": valid_npi(), "name": f"Dr {subject}", "kind": kind, "subject": subject},
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    async def encounter(self, patient_id: str, provider_id: str) -> str:
        admin = self.as_("ada", "admin")
        created = await admin.post(
            "/api/v1/encounters", json={"patient_id": patient_id, "provider_id": provider_id}
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def audit_events(self, tenant: str | None = None) -> list[Any]:
        recorder: Any = self.graph.audit  # the AuditRecorder bootstrap built
        streams = recorder.streams(tenant or self.tenant)
        return [e for stream in streams for e in recorder.store.read(stream)]

    def check_one_audit_event_per_record_read(self) -> None:
        """Every record read a test made, allowed or denied, left exactly one audit event."""
        expected: dict[tuple[str, str], int] = {}
        for key in self.record_reads:
            expected[key] = expected.get(key, 0) + 1
        reads = ("phi.read", "phi.emergency-read", "record.read")
        for (tenant, record_id), count in expected.items():
            events = [
                e
                for e in self.audit_events(tenant)
                if e.action in reads and e.resource.endswith(f"record/{record_id}")
            ]
            assert len(events) == count, (tenant, record_id, count, len(events))


def valid_npi() -> str:
    """A random NPI with a correct check digit (Luhn over 80840 + nine digits)."""
    body = f"{uuid.uuid4().int % 10**9:09d}"
    digits = "80840" + body
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:  # the check digit will sit to the right, shifting parity
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


@pytest.fixture
async def clinic(
    db_settings: LiftSettings,
    verifier: JwtVerifier,
    mint: Callable[..., str],
    restricted_canary: Callable[[str], str],
) -> AsyncIterator[Clinic]:
    banking_app = create_banking_app(
        db_settings.model_copy(update={"service_name": "banking"}),
        BankingSettings(),
        verifier=verifier,
    )
    link = BankingLink(banking_app)
    client = ServiceClient(
        "banking",
        settings=MeshSettings(
            services={"banking": ["http://banking"]},
            max_attempts=2,
            backoff_base_seconds=0.01,
            breaker_fail_max=1000,
        ),
        http=httpx.AsyncClient(transport=link),
    )
    lift = db_settings.model_copy(update={"service_name": "healthcare"})
    graph = bootstrap(
        HealthcareSettings(billing_retry_interval_seconds=0, billing_retry_min_age_seconds=0),
        lift=lift,
        payments=BankingPayments(client, MintedTokens(mint, "healthcare")),
    )
    app = create_healthcare_app(lift, verifier=verifier, services=graph)
    clinic = Clinic(banking_app, app, graph, link, mint, restricted_canary)
    yield clinic
    clinic.check_one_audit_event_per_record_read()
    for c in clinic.clients:
        await c.aclose()
    await client.aclose()
