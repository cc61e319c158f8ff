"""Where services are: static settings or AWS Cloud Map.

Both answer ``instances(service)``; ``CachedRegistry`` keeps answers for a TTL so a call
does not pay a lookup. ``registry_from_settings`` picks one from ``LIFT_MESH_*``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Protocol

import anyio.to_thread

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
