"""``ServiceClient``: the one way a Lift service calls another.

Pipeline per call, outermost first (the standard resilience pipeline): bulkhead → total
timeout (bounded by the caller's own deadline) → retries with a budget → instance choice
(health, per-instance breaker, least outstanding) → attempt timeout → httpx. The remaining
budget travels in ``X-Lift-Deadline-Ms``; trace context, request and correlation ids and the
end user's bearer token travel with every call.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import httpx
from opentelemetry import metrics
from opentelemetry.propagate import inject
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt

from lift_core import LiftSettings, context
from lift_core.http import http_client
from lift_core.middleware import DEADLINE_HEADER
from lift_mesh.breaker import AsyncBreaker, BreakerOpen
from lift_mesh.config import MeshSettings
from lift_mesh.credentials import ServiceTokens, service_tokens
from lift_mesh.errors import (
    MeshError,
    MeshTimeoutError,
    RateLimitedError,
    ServerError,
    UnavailableError,
    error_for,
)
from lift_mesh.policies import Bulkhead, BulkheadFull, RetryBudget, full_jitter_backoff
from lift_mesh.registry import Instance, Registry, registry_from_settings

M = TypeVar("M", bound=BaseModel)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


def bearer_from_context() -> str | None:
    """The end user's token, so tenant isolation holds end to end."""
    principal = context.current_principal()
    return principal.token if principal and principal.token else None


@dataclass(slots=True)
class TargetStats:
    """Counters per target, mirrored to OpenTelemetry metrics."""

    calls: int = 0
    failures: int = 0
    retries: int = 0
    rejections: dict[str, int] = field(default_factory=dict)
    transitions: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Call:
    method: str
    path: str
    json: Any
    params: dict[str, Any] | None
    idempotency_key: str | None
    deadline: float  # the client's clock (monotonic) at which the whole call gives up
    bearer: str | None  # overrides the client's credentials for this call


class _Retryable(Exception):
    """Wraps a failure that another attempt may cure."""

    def __init__(self, error: MeshError) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = error.retry_after


class ServiceClient:
    def __init__(
        self,
        service: str,
        *,
        settings: MeshSettings | None = None,
        registry: Registry | None = None,
        http: httpx.AsyncClient | None = None,
        credentials: Callable[[], str | None] = bearer_from_context,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.settings = settings or MeshSettings()
        s = self.settings
        self.registry = registry or registry_from_settings(s)
        if http is not None:
            self.http = http
        self.credentials = credentials
        self.clock = clock
        self.stats = TargetStats()
        self.bulkhead = Bulkhead(
            max_concurrent=s.bulkhead_max_concurrent, max_wait=s.bulkhead_max_wait_seconds
        )
        self.budget = RetryBudget(
            ratio=s.retry_budget_ratio,
            min_per_second=s.retry_budget_min_per_second,
            window_seconds=s.retry_budget_window_seconds,
            clock=clock,
        )
        self._outstanding: dict[str, int] = {}  # calls in flight per instance
        self._turn = itertools.count()
        self._breakers: dict[str, AsyncBreaker] = {}
        self._backoff = full_jitter_backoff(s.backoff_base_seconds, s.backoff_cap_seconds)
        meter = metrics.get_meter("lift_mesh")
        self._m_calls = meter.create_counter("lift.mesh.calls", unit="{call}")
        self._m_retries = meter.create_counter("lift.mesh.retries", unit="{retry}")
        self._m_rejections = meter.create_counter("lift.mesh.rejections", unit="{call}")
        self._m_transitions = meter.create_counter("lift.mesh.breaker.transitions")
        self._m_duration = meter.create_histogram("lift.mesh.call.duration", unit="s")

    @functools.cached_property
    def http(self) -> httpx.AsyncClient:
        """Made on the first call, not at start: a cold start that calls nobody skips it."""
        return http_client(
            limits=httpx.Limits(max_connections=self.settings.bulkhead_max_concurrent * 2)
        )

    async def aclose(self) -> None:
        if "http" in self.__dict__:
            await self.http.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def breaker(self, instance_id: str) -> AsyncBreaker:
        if instance_id not in self._breakers:
            self._breakers[instance_id] = AsyncBreaker(
                f"{self.service}/{instance_id}",
                fail_max=self.settings.breaker_fail_max,
                reset_seconds=self.settings.breaker_reset_seconds,
                half_open_probes=self.settings.breaker_half_open_probes,
                on_transition=functools.partial(self._transition, instance_id),
                clock=self.clock,
            )
        return self._breakers[instance_id]

    # -- public verbs -------------------------------------------------------------------

    @overload
    async def get(
        self,
        path: str,
        *,
        response_model: type[M],
        params: dict[str, Any] | None = None,
        bearer: str | None = None,
    ) -> M: ...
    @overload
    async def get(
        self,
        path: str,
        *,
        response_model: None = None,
        params: dict[str, Any] | None = None,
        bearer: str | None = None,
    ) -> Any: ...
    async def get(
        self,
        path: str,
        *,
        response_model: type[M] | None = None,
        params: dict[str, Any] | None = None,
        bearer: str | None = None,
    ) -> M | Any:
        return await self.request(
            "GET", path, params=params, response_model=response_model, bearer=bearer
        )

    async def post(
        self,
        path: str,
        *,
        json: Any = None,
        idempotency_key: str | None = None,
        response_model: type[M] | None = None,
        bearer: str | None = None,
    ) -> M | Any:
        return await self.request(
            "POST",
            path,
            json=json,
            idempotency_key=idempotency_key,
            response_model=response_model,
            bearer=bearer,
        )

    async def put(
        self,
        path: str,
        *,
        json: Any = None,
        idempotency_key: str | None = None,
        response_model: type[M] | None = None,
        bearer: str | None = None,
    ) -> M | Any:
        return await self.request(
            "PUT",
            path,
            json=json,
            idempotency_key=idempotency_key,
            response_model=response_model,
            bearer=bearer,
        )

    async def delete(
        self,
        path: str,
        *,
        idempotency_key: str | None = None,
        response_model: type[M] | None = None,
        bearer: str | None = None,
    ) -> M | Any:
        return await self.request(
            "DELETE",
            path,
            idempotency_key=idempotency_key,
            response_model=response_model,
            bearer=bearer,
        )

    # -- the pipeline -------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        response_model: type[M] | None = None,
        bearer: str | None = None,
    ) -> M | Any:
        """Call the target; return the decoded body (validated into ``response_model`` if
        given) or raise a typed ``MeshError``. ``bearer`` replaces the client's credentials
        for this call (a service acting as itself rather than for its caller)."""
        started = self.clock()
        self.stats.calls += 1
        self.budget.record_request()
        outcome = "error"
        try:
            response = await self._call(
                method, path, json, params, key=idempotency_key, bearer=bearer
            )
            outcome = "ok"
        except MeshError as exc:
            self.stats.failures += 1
            outcome = type(exc).__name__
            raise
        finally:
            attrs = {"target": self.service, "method": method, "outcome": outcome}
            self._m_calls.add(1, attrs)
            self._m_duration.record(self.clock() - started, attrs)
        if response.status_code == 204 or not response.content:
            return None
        body = response.json()
        return response_model.model_validate(body) if response_model else body

    async def _call(
        self,
        method: str,
        path: str,
        json: Any,
        params: dict[str, Any] | None,
        *,
        key: str | None,
        bearer: str | None,
    ) -> httpx.Response:
        budget = self.settings.call_timeout_seconds
        ctx = context.current()
        if ctx is not None and ctx.deadline is not None:
            budget = min(budget, ctx.deadline - self.clock())
        if budget <= 0:
            self._reject("deadline")
            raise MeshTimeoutError("the caller's deadline has passed", service=self.service)
        call = _Call(method, path, json, params, key, self.clock() + budget, bearer)
        retryable = method in IDEMPOTENT_METHODS or key is not None
        try:
            async with self.bulkhead:
                try:
                    async with asyncio.timeout(budget):
                        try:  # most calls take one attempt: no retry machinery for it
                            return await self._attempt(call)
                        except _Retryable as failed:
                            first = [failed]
                        retrying = AsyncRetrying(
                            stop=stop_after_attempt(self.settings.max_attempts),
                            wait=self._backoff,
                            retry=lambda state: self._should_retry(state, retryable),
                            reraise=True,
                        )
                        async for attempt in retrying:
                            with attempt:
                                if first:  # attempt 1 is the one just made: tenacity decides
                                    raise first.pop()  # whether, and when, to try again
                                return await self._attempt(call)
                except TimeoutError as exc:
                    raise MeshTimeoutError(
                        f"{self.service} did not answer within {budget:.3f}s", service=self.service
                    ) from exc
                except _Retryable as exc:
                    raise exc.error from None
        except BulkheadFull as exc:
            self._reject("bulkhead")
            raise UnavailableError(
                f"{self.service}: too many calls in flight", service=self.service
            ) from exc
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _should_retry(self, state: RetryCallState, retryable: bool) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed or not retryable:
            return False
        if not isinstance(outcome.exception(), _Retryable):
            return False
        if state.attempt_number >= self.settings.max_attempts:
            return False
        if not self.budget.try_withdraw():
            self._reject("retry_budget")
            return False
        self.stats.retries += 1
        self._m_retries.add(1, {"target": self.service})
        return True

    async def _choose(self) -> tuple[Instance, AsyncBreaker, bool]:
        instances = await self.registry.instances(self.service)
        candidates = [i for i in instances if i.healthy and self.breaker(i.id).would_admit()]
        if not candidates:
            reason = "no_instances" if not instances else "all_unhealthy_or_open"
            self._reject(reason)
            raise UnavailableError(
                f"{self.service}: no instance can take the call ({reason})", service=self.service
            )
        instance = self._least_outstanding(candidates)
        breaker = self.breaker(instance.id)
        try:
            probe = breaker.admit()
        except BreakerOpen as exc:
            self._reject("breaker_open")
            raise _Retryable(UnavailableError(str(exc), service=self.service)) from exc
        return instance, breaker, probe

    async def _attempt(self, call: _Call) -> httpx.Response:
        instance, breaker, probe = await self._choose()
        remaining = call.deadline - self.clock()
        attempt_timeout = min(self.settings.attempt_timeout_seconds, max(remaining, 0.001))
        request = self.http.build_request(
            call.method,
            f"{instance.url}{call.path}",
            json=call.json,
            params=call.params,
            headers=self._headers(call, remaining),
            timeout=attempt_timeout,
        )
        self._outstanding[instance.id] = self._outstanding.get(instance.id, 0) + 1
        try:
            response = await self.http.send(request)
        except httpx.TimeoutException as exc:
            breaker.record(success=False, probe=probe)
            raise _Retryable(
                MeshTimeoutError(f"{self.service}: attempt timed out", service=self.service)
            ) from exc
        except httpx.TransportError as exc:
            breaker.record(success=False, probe=probe)
            raise _Retryable(
                UnavailableError(f"{self.service}: {type(exc).__name__}", service=self.service)
            ) from exc
        except BaseException:
            if self.clock() >= call.deadline:
                # The call's own budget ran out while this instance kept it waiting: a
                # timeout like any other. (Recording it as a success reset the breaker's
                # count, so an instance that always answered too late never tripped it.)
                breaker.record(success=False, probe=probe)
            else:
                breaker.release(probe=probe)  # cancelled by our caller: no verdict
            raise
        finally:
            self._outstanding[instance.id] -= 1
        status = response.status_code
        if status < 400:
            breaker.record(success=True, probe=probe)
            return response
        error = self._decode_error(response)
        if status >= 500:
            breaker.record(success=False, probe=probe)
            if status in RETRYABLE_STATUSES:
                raise _Retryable(error)
            raise error
        breaker.record(success=True, probe=probe)  # 4xx: the instance is healthy
        if isinstance(error, RateLimitedError):
            raise _Retryable(error)
        raise error

    def _least_outstanding(self, candidates: list[Instance]) -> Instance:
        """The instance with the fewest calls in flight; ties are taken in turn, so calls
        made one after another go round robin and a slow instance is left to drain."""
        fewest = min(self._outstanding.get(i.id, 0) for i in candidates)
        idle = [i for i in candidates if self._outstanding.get(i.id, 0) == fewest]
        return idle[next(self._turn) % len(idle)]

    def _headers(self, call: _Call, remaining: float) -> dict[str, str]:
        headers: dict[str, str] = {DEADLINE_HEADER: str(max(int(remaining * 1000), 0))}
        inject(headers)  # traceparent (and baggage) of the current span
        ctx = context.current()
        if ctx is not None:
            headers["x-request-id"] = ctx.request_id
            headers["x-correlation-id"] = ctx.correlation_id
        token = call.bearer or self.credentials()
        if token:
            headers["authorization"] = f"Bearer {token}"
        if call.idempotency_key is not None:
            headers["idempotency-key"] = call.idempotency_key
        return headers

    def _decode_error(self, response: httpx.Response) -> MeshError:
        problem: dict[str, Any] = {}
        if "json" in response.headers.get("content-type", ""):
            try:
                decoded = response.json()
                problem = decoded if isinstance(decoded, dict) else {}
            except ValueError:
                problem = {}
        retry_after = response.headers.get("retry-after")
        detail = problem.get("detail") or problem.get("title") or response.reason_phrase
        return error_for(response.status_code)(
            f"{self.service} answered {response.status_code}: {detail}",
            service=self.service,
            status=response.status_code,
            problem=problem,
            retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
        )

    def _reject(self, reason: str) -> None:
        self.stats.rejections[reason] = self.stats.rejections.get(reason, 0) + 1
        self._m_rejections.add(1, {"target": self.service, "reason": reason})

    def _transition(self, instance_id: str, old: str, new: str) -> None:
        self.stats.transitions.append((instance_id, old, new))
        self._m_transitions.add(1, {"target": self.service, "instance": instance_id, "state": new})


__all__ = ["IDEMPOTENT_METHODS", "ServerError", "ServiceClient", "TargetStats"]


def as_service(
    target: str, lift: LiftSettings, *, subject: str, dev_issuer_url: str
) -> tuple[ServiceClient, ServiceTokens]:
    """A client of ``target`` and the tokens this service calls it with as itself (its own
    identity, not a user's): what a consumer's gateway to a provider is built on. Settings
    from ``LIFT_MESH_*`` (``service_tokens`` says which token source)."""
    mesh = MeshSettings()
    tokens = service_tokens(lift, mesh, subject=subject, dev_issuer_url=dev_issuer_url)
    return ServiceClient(target, settings=mesh), tokens
