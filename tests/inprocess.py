"""The three services in one process on the embedded emulator, healthcare and e-commerce
wired to the real banking app: the estate the generated suites (fuzz, hostile input, JWT
mutations, the authorization matrix) attack."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from tests.banking_link import BankingLink, MintedTokens

from lift_core import LiftSettings
from lift_core.auth import JwtVerifier, StaticJwksSource
from lift_core.config import Environment
from lift_core.devidentity import DevIssuer, TokenRequest, create_identity_app
from lift_mesh import MeshSettings, ServiceClient

from banking.main import create_banking_app
from ecommerce.adapters.banking import BankingPayments
from ecommerce.bootstrap import bootstrap as shop_bootstrap
from ecommerce.main import create_ecommerce_app
from healthcare.adapters.banking import BankingPayments as ClinicPayments
from healthcare.bootstrap import bootstrap as clinic_bootstrap
from healthcare.main import create_healthcare_app

SERVICES = ("banking", "healthcare", "ecommerce")
ROLES = {
    "banking": ["admin", "teller", "customer", "auditor"],
    "healthcare": ["admin", "clinician", "auditor"],
    "ecommerce": ["admin", "customer", "auditor"],
    "identity": [],
}


@dataclass
class Estate:
    apps: dict[str, FastAPI]
    token: Callable[[str], str]  # the fuzzer's token for a service: every role it knows
    mint: Callable[..., str]  # mint(tenant, subject, roles=[...])
    prefixes: dict[str, str]  # each service's table prefix
    dynamodb_endpoint: str


@pytest.fixture(scope="module")
def estate(dynamodb_endpoint: str, issuer: DevIssuer) -> Estate:
    def lift(service: str) -> LiftSettings:
        return LiftSettings(
            environment=Environment.TEST,
            service_name=service,
            dynamodb_endpoint=dynamodb_endpoint,
            table_prefix=f"f{uuid.uuid4().hex[:10]}-",
            auto_create_tables=True,
        )

    prefixes: dict[str, str] = {}

    def lift_of(service: str) -> LiftSettings:
        settings = lift(service)
        prefixes[service] = settings.table_prefix
        return settings

    base = lift("fuzz")
    verifier = JwtVerifier(
        StaticJwksSource(issuer.jwks()), issuer=base.jwt_issuer, audience=base.jwt_audience
    )

    def mint(tenant: str, subject: str, *, roles: list[str]) -> str:
        request = TokenRequest(tenant_id=tenant, subject=subject, roles=roles)
        return issuer.mint(request).access_token

    banking = create_banking_app(lift_of("banking"), verifier=verifier)

    def banking_client() -> ServiceClient:
        return ServiceClient(
            "banking",
            settings=MeshSettings(services={"banking": ["http://banking"]}),
            http=httpx_client(banking),
        )

    shop_lift, clinic_lift = lift_of("ecommerce"), lift_of("healthcare")
    apps = {
        "banking": banking,
        "healthcare": create_healthcare_app(
            clinic_lift,
            verifier=verifier,
            services=clinic_bootstrap(
                lift=clinic_lift,
                payments=ClinicPayments(banking_client(), MintedTokens(mint, "healthcare")),
            ),
        ),
        "ecommerce": create_ecommerce_app(
            shop_lift,
            verifier=verifier,
            services=shop_bootstrap(
                lift=shop_lift,
                payments=BankingPayments(banking_client(), MintedTokens(mint, "ecommerce")),
            ),
        ),
    }
    apps["identity"] = create_identity_app(issuer)
    return Estate(
        apps,
        lambda service: mint("acme", "fuzzer", roles=ROLES[service]),
        mint,
        prefixes,
        dynamodb_endpoint,
    )


def httpx_client(app: FastAPI) -> Any:
    import httpx

    return httpx.AsyncClient(transport=BankingLink(app))
