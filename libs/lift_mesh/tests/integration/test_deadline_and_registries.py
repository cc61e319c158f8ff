"""Deadlines stop downstream work; Cloud Map and DynamoDB registries against the emulator."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from fastapi import APIRouter
from pydantic import ValidationError

from lift_core import LiftSettings, create_app
from lift_core.auth import JwtVerifier
from lift_mesh import (
    CachedRegistry,
    CloudMapRegistry,
    Instance,
    MeshSettings,
    MeshTimeoutError,
    ServiceClient,
    StaticRegistry,
)

pytestmark = pytest.mark.integration
MeshFactory = Callable[..., MeshSettings]


async def test_deadline_propagation_cancels_work_the_caller_abandoned(
    settings: LiftSettings,
    verifier: JwtVerifier,
    mint: Callable[..., str],
    mesh: MeshFactory,
    serve: Callable[[Any], Any],
) -> None:
    seen: dict[str, Any] = {"cancelled": False, "finished": False}
    router = APIRouter()

    @router.post("/work")
    async def work() -> dict[str, bool]:
        try:
            await asyncio.sleep(2)
        except asyncio.CancelledError:
            seen["cancelled"] = True
            raise
        seen["finished"] = True
        return {"done": True}

    callee = create_app(settings=settings, title="callee", routers=[router], verifier=verifier)
    token = mint()
    with serve(callee) as url:
        client = ServiceClient(
            "banking",
            settings=mesh([url], call_timeout_seconds=0.3, attempt_timeout_seconds=5),
            credentials=lambda: token,
        )
        async with client:
            with pytest.raises(MeshTimeoutError):
                await client.post("/work", idempotency_key="k")
        deadline = time.monotonic() + 2
        while not seen["cancelled"] and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    assert seen == {"cancelled": True, "finished": False}


async def test_static_registry_and_cache() -> None:
    calls = 0

    class Counting(StaticRegistry):
        async def instances(self, service: str) -> list[Instance]:
            nonlocal calls
            calls += 1
            return await super().instances(service)

    cached = CachedRegistry(Counting({"banking": ["http://a/", "http://b"]}), ttl_seconds=60)
    found = await asyncio.gather(*(cached.instances("banking") for _ in range(10)))
    assert [i.url for i in found[0]] == ["http://a", "http://b"]
    assert calls == 1
    assert await cached.instances("nobody") == []


def _cloud_map(endpoint: str, instances: dict[str, dict[str, str]]) -> tuple[Any, str]:
    """An HTTP namespace on the emulator with a ``banking`` service holding ``instances``."""
    # DiscoverInstances goes to a "data-" host prefix on AWS; the emulator has one host.
    client = boto3.client(
        "servicediscovery",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(inject_host_prefix=False),
    )
    namespace = f"lift-{uuid.uuid4().hex[:8]}.local"
    operation = client.create_http_namespace(Name=namespace)["OperationId"]
    namespace_id = client.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    service_id = client.create_service(Name="banking", NamespaceId=namespace_id)["Service"]["Id"]
    for instance_id, attributes in instances.items():
        client.register_instance(
            ServiceId=service_id, InstanceId=instance_id, Attributes=attributes
        )
    return client, namespace


async def test_cloud_map_registry_discovers_instances(dynamodb_endpoint: str) -> None:
    client, namespace = _cloud_map(
        dynamodb_endpoint,
        {
            "b-1": {"url": "http://10.0.0.1:8001"},
            "b-2": {"AWS_INSTANCE_IPV4": "10.0.0.2", "AWS_INSTANCE_PORT": "8001"},
        },
    )
    found = await CloudMapRegistry(namespace, client=client).instances("banking")
    assert sorted(i.url for i in found) == ["http://10.0.0.1:8001", "http://10.0.0.2:8001"]


async def test_settings_choose_cloud_map_or_static_never_both(
    dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFT_DYNAMODB_ENDPOINT", dynamodb_endpoint)
    _, namespace = _cloud_map(dynamodb_endpoint, {"api": {"url": "https://abc.example/"}})
    mapped = ServiceClient("banking", settings=MeshSettings(cloud_map_namespace=namespace))
    assert isinstance(mapped.registry, CachedRegistry)
    assert isinstance(mapped.registry.inner, CloudMapRegistry)
    assert [i.url for i in await mapped.registry.instances("banking")] == ["https://abc.example"]
    static = ServiceClient("banking", settings=MeshSettings(services={"banking": ["http://x"]}))
    assert isinstance(static.registry, CachedRegistry)
    assert isinstance(static.registry.inner, StaticRegistry)
    with pytest.raises(ValidationError, match="not both"):
        MeshSettings(cloud_map_namespace=namespace, services={"banking": ["http://x"]})
    await mapped.aclose()
    await static.aclose()
