"""Choosing an instance: round robin, least outstanding requests, power of two choices.

Unhealthy instances are skipped, and so are instances that passive outlier detection has
ejected: consecutive 5xx or connect failures eject an instance for a time that doubles with
each ejection, but never more than a set share of the instances at once.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from lift_mesh.registry import Instance


@dataclass(slots=True)
class InstanceStats:
    outstanding: int = 0
    consecutive_failures: int = 0
    ejections: int = 0
    ejected_until: float = 0.0


class Balancer(Protocol):
    def choose(
        self, candidates: Sequence[Instance], stats: dict[str, InstanceStats]
    ) -> Instance: ...


class RoundRobin:
    def __init__(self) -> None:
        self._counter = itertools.count()

    def choose(self, candidates: Sequence[Instance], stats: dict[str, InstanceStats]) -> Instance:
        return candidates[next(self._counter) % len(candidates)]


class LeastOutstanding:
    def choose(self, candidates: Sequence[Instance], stats: dict[str, InstanceStats]) -> Instance:
        return min(candidates, key=lambda i: stats[i.id].outstanding)


class PowerOfTwoChoices:
    """Two random candidates, the less loaded wins: near-least-loaded at O(1)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()  # noqa: S311 - load spreading, not security

    def choose(self, candidates: Sequence[Instance], stats: dict[str, InstanceStats]) -> Instance:
        if len(candidates) == 1:
            return candidates[0]
        a, b = self.rng.sample(list(candidates), 2)
        return a if stats[a.id].outstanding <= stats[b.id].outstanding else b


BALANCERS: dict[str, Callable[[], Balancer]] = {
    "round_robin": RoundRobin,
    "least_outstanding": LeastOutstanding,
    "power_of_two": PowerOfTwoChoices,
}


class OutlierDetector:
    def __init__(
        self,
        *,
        consecutive_failures: int,
        base_ejection_seconds: float,
        max_ejection_seconds: float,
        max_ejection_percent: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = consecutive_failures
        self.base = base_ejection_seconds
        self.max = max_ejection_seconds
        self.max_percent = max_ejection_percent
        self.clock = clock

    def eligible(
        self, instances: Sequence[Instance], stats: dict[str, InstanceStats]
    ) -> list[Instance]:
        now = self.clock()
        return [i for i in instances if i.healthy and stats[i.id].ejected_until <= now]

    def record_success(self, stats: InstanceStats) -> None:
        stats.consecutive_failures = 0

    def record_failure(
        self, instance: Instance, population: Sequence[Instance], stats: dict[str, InstanceStats]
    ) -> bool:
        """Count a failure; return True if the instance was ejected by it."""
        own = stats[instance.id]
        own.consecutive_failures += 1
        if own.consecutive_failures < self.threshold:
            return False
        now = self.clock()
        ejected = sum(1 for i in population if stats[i.id].ejected_until > now)
        if (ejected + 1) * 100 > self.max_percent * len(population):
            return False  # ejecting more would leave too little capacity
        own.ejected_until = now + min(self.base * 2**own.ejections, self.max)
        own.ejections += 1
        own.consecutive_failures = 0
        return True
