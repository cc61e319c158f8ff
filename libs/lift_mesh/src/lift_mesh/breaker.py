"""Per-instance circuit breaking with pybreaker, driven correctly under asyncio.

pybreaker's ``call`` is synchronous and holds a lock for the whole call, so an ``async``
function would count as a success the moment its coroutine is created. Here admission is
decided before the ``await`` and the outcome recorded after it, through pybreaker's own
state machine: counters, thresholds and transitions stay pybreaker's; nothing is held
across the network call. Half-open admits a bounded number of concurrent probes.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

import pybreaker

_log = logging.getLogger("lift_mesh.breaker")


class BreakerOpen(Exception):
    """The breaker refused the call; no network call was made."""


class _Failure(Exception):
    """Stands in for the real failure inside pybreaker's synchronous call."""


def _fail() -> None:
    raise _Failure


def _succeed() -> None:
    return None


class _Transitions(pybreaker.CircuitBreakerListener):
    def __init__(self, owner: AsyncBreaker) -> None:
        self.owner = owner

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        old = old_state.name if old_state else "none"
        if new_state.name == pybreaker.STATE_OPEN:
            self.owner.opened_at = self.owner.clock()
        _log.warning(
            "circuit %s: %s -> %s", cb.name, old, new_state.name, extra={"breaker": cb.name}
        )
        self.owner.on_transition(old, new_state.name)


class AsyncBreaker:
    def __init__(
        self,
        name: str,
        *,
        fail_max: int,
        reset_seconds: float,
        half_open_probes: int,
        on_transition: Callable[[str, str], None] = lambda old, new: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.on_transition = on_transition
        self.reset_seconds = reset_seconds
        self.half_open_probes = half_open_probes
        self.opened_at = float("-inf")
        self._probes = 0
        self.cb = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_seconds,
            name=name,
            listeners=[_Transitions(self)],
            throw_new_error_on_trip=False,
        )

    @property
    def state(self) -> str:
        return str(self.cb.current_state)

    def would_admit(self) -> bool:
        """Whether ``admit`` would let a call through now (reserves nothing)."""
        state = self.cb.current_state
        if state == pybreaker.STATE_OPEN:
            return self.clock() - self.opened_at >= self.reset_seconds
        if state == pybreaker.STATE_HALF_OPEN:
            return self._probes < self.half_open_probes
        return True

    def admit(self) -> bool:
        """Reserve the right to make one call, or raise ``BreakerOpen`` (fail fast). Returns
        whether the call is a half-open probe; pass that back to ``record``."""
        state = self.cb.current_state
        if state == pybreaker.STATE_OPEN:
            if self.clock() - self.opened_at < self.reset_seconds:
                raise BreakerOpen(self.cb.name)
            self.cb.half_open()
            state = pybreaker.STATE_HALF_OPEN
        if state == pybreaker.STATE_HALF_OPEN:
            if self._probes >= self.half_open_probes:
                raise BreakerOpen(self.cb.name)
            self._probes += 1
            return True
        return False

    def release(self, *, probe: bool) -> None:
        """Give back an admission without a verdict (the call was cancelled from outside)."""
        if probe:
            self._probes -= 1

    def record(self, *, success: bool, probe: bool) -> None:
        if probe:
            self._probes -= 1
        if self.cb.current_state == pybreaker.STATE_OPEN:
            return  # a call admitted before the trip; its outcome changes nothing
        with contextlib.suppress(_Failure, pybreaker.CircuitBreakerError):
            self.cb.call(_succeed if success else _fail)
