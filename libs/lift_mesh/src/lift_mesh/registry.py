"""Where services are: static settings, a DynamoDB registry table, or AWS Cloud Map.

Every backend answers ``instances(service)``; ``CachedRegistry`` keeps answers for a TTL so
a call does not pay a lookup. ``registry_from_settings`` picks static or Cloud Map from
``LIFT_MESH_*``; ``DynamoRegistry`` is for fleets that heartbeat, wired in code.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import anyio.to_thread
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from lift_mesh.config import MeshSettings


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    url: str
    healthy: bool = True


class Registry(Protocol):
    async def instances(self, service: str) -> list[Instance]: ...


class StaticRegistry:
    """Base URLs from settings: ``{"banking": ["http://localhost:8001"]}``."""

    def __init__(self, services: dict[str, list[str]]) -> None:
        self._services = {
            name: [Instance(id=url, url=url.rstrip("/")) for url in urls]
            for name, urls in services.items()
        }

    async def instances(self, service: str) -> list[Instance]:
        return list(self._services.get(service, []))


class CachedRegistry:
    """Caches another registry's answers for ``ttl_seconds``; concurrent misses share one
    lookup. A failed refresh keeps serving the last answer."""

    def __init__(self, inner: Registry, ttl_seconds: float) -> None:
        self.inner = inner
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, list[Instance]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def instances(self, service: str) -> list[Instance]:
        cached = self._cache.get(service)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        async with self._locks.setdefault(service, asyncio.Lock()):
            cached = self._cache.get(service)
            if cached and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
            try:
                found = await self.inner.instances(service)
            except Exception:
                if cached:
                    return cached[1]
                raise
            self._cache[service] = (time.monotonic(), found)
            return found


class RegistryEntry(Model):
    """One instance of one service; it disappears when its heartbeat stops (TTL)."""

    class Meta:
        table_name = "registry"

    service = UnicodeAttribute(hash_key=True)
    instance_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    status = UnicodeAttribute(default="healthy")
    heartbeat_at = NumberAttribute()
    expires_at = TTLAttribute()


class DynamoRegistry:
    """Instances register themselves and heartbeat; lookups skip stale or unhealthy ones.

    Works from containers (a heartbeat task) and from Lambda (register the function URL
    once at deploy; the TTL is then set long).
    """

    def __init__(self, model: type[RegistryEntry], *, ttl_seconds: float = 30) -> None:
        self.model = model
        self.ttl = ttl_seconds

    async def register(
        self, service: str, instance_id: str, url: str, *, status: str = "healthy"
    ) -> None:
        now = time.time()
        entry = self.model(
            service,
            instance_id,
            url=url.rstrip("/"),
            status=status,
            heartbeat_at=now,
            expires_at=datetime.now(UTC) + timedelta(seconds=self.ttl),
        )
        await anyio.to_thread.run_sync(entry.save)

    heartbeat = register

    async def deregister(self, service: str, instance_id: str) -> None:
        await anyio.to_thread.run_sync(self.model(service, instance_id).delete)

    async def instances(self, service: str) -> list[Instance]:
        def query() -> list[Instance]:
            fresh_after = time.time() - self.ttl
            return [
                Instance(id=e.instance_id, url=e.url, healthy=e.status == "healthy")
                for e in self.model.query(service, consistent_read=True)
                if e.heartbeat_at >= fresh_after
            ]

        return await anyio.to_thread.run_sync(query)


class CloudMapRegistry:
    """AWS Cloud Map ``DiscoverInstances``: the instance attribute ``url`` (or the standard
    ``AWS_INSTANCE_IPV4`` and ``AWS_INSTANCE_PORT``) gives the base URL."""

    def __init__(self, namespace: str, *, client: Any) -> None:
        self.namespace = namespace
        self.client = client  # a botocore "servicediscovery" client (lift_core.dynamo.aws_client)

    async def instances(self, service: str) -> list[Instance]:
        def discover() -> list[Instance]:
            found = self.client.discover_instances(
                NamespaceName=self.namespace, ServiceName=service, HealthStatus="ALL"
            )
            result = []
            for item in found.get("Instances", []):
                attrs = item.get("Attributes", {})
                url = attrs.get("url") or (
                    f"http://{attrs['AWS_INSTANCE_IPV4']}:{attrs.get('AWS_INSTANCE_PORT', '80')}"
                    if "AWS_INSTANCE_IPV4" in attrs
                    else None
                )
                if url:
                    healthy = item.get("HealthStatus", "HEALTHY") in ("HEALTHY", "UNKNOWN")
                    result.append(Instance(item["InstanceId"], url.rstrip("/"), healthy))
            return result

        return await anyio.to_thread.run_sync(discover)


def registry_from_settings(settings: MeshSettings) -> Registry:
    """Cloud Map when ``cloud_map_namespace`` is set, else the static ``services``; both
    cached for ``registry_cache_seconds``."""
    inner: Registry
    if settings.cloud_map_namespace:
        from lift_core import LiftSettings
        from lift_core.dynamo import aws_client

        client = aws_client("servicediscovery", LiftSettings())
        inner = CloudMapRegistry(settings.cloud_map_namespace, client=client)
    else:
        inner = StaticRegistry(settings.services)
    return CachedRegistry(inner, settings.registry_cache_seconds)
