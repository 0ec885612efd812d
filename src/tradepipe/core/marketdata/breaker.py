"""Per-source circuit breaker (closed → open → half-open) with latency and error-rate tracking.

The transitions are one table; ``CircuitBreaker`` looks them up. ``threshold`` consecutive failures open the
breaker; after ``cooldown_s`` it lets one probe through (half-open); the probe's success closes it, its failure
re-opens it for another cool-down. The clock is injected (monotonic seconds), so tests never sleep.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from tradepipe.errors import InvalidTransition


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerEvent(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TRIPPED = "tripped"  # a failure that reached the threshold
    COOLED_DOWN = "cooled_down"


TRANSITIONS: Mapping[tuple[BreakerState, BreakerEvent], BreakerState] = {
    (BreakerState.CLOSED, BreakerEvent.SUCCEEDED): BreakerState.CLOSED,
    (BreakerState.CLOSED, BreakerEvent.FAILED): BreakerState.CLOSED,
    (BreakerState.CLOSED, BreakerEvent.TRIPPED): BreakerState.OPEN,
    (BreakerState.OPEN, BreakerEvent.COOLED_DOWN): BreakerState.HALF_OPEN,
    (BreakerState.HALF_OPEN, BreakerEvent.SUCCEEDED): BreakerState.CLOSED,
    (BreakerState.HALF_OPEN, BreakerEvent.FAILED): BreakerState.OPEN,
    (BreakerState.HALF_OPEN, BreakerEvent.TRIPPED): BreakerState.OPEN,
}


def next_state(state: BreakerState, event: BreakerEvent) -> BreakerState:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(f"circuit breaker: {event} is not allowed when {state}") from None


@dataclass(frozen=True, slots=True)
class SourceStats:
    """What a person (and the cycle report) reads about one source."""

    source: str
    state: str
    calls: int
    failures: int
    error_rate: float  # over the last ``window`` calls
    latency_ms_ewma: float
    opened: int  # how many times the breaker opened


@dataclass(slots=True)
class CircuitBreaker:
    source: str
    threshold: int = 5
    cooldown_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    window: int = 50
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float = 0.0
    calls: int = 0
    failures: int = 0
    opened: int = 0
    latency_ms_ewma: float = 0.0
    probing: bool = False
    recent: deque[bool] = field(default_factory=deque)  # True = failure

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.cooldown_s < 0:
            raise ValueError("CircuitBreaker: threshold must be >= 1 and cooldown_s >= 0")

    def allow(self) -> bool:
        """May a call go to this source now? In half-open, only one probe at a time."""
        if self.state is BreakerState.OPEN and self.clock() - self.opened_at >= self.cooldown_s:
            self._apply(BreakerEvent.COOLED_DOWN)
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def record_success(self, latency_s: float = 0.0) -> None:
        self._observe(False, latency_s)
        self.consecutive_failures = 0
        self._apply(BreakerEvent.SUCCEEDED)

    def record_failure(self, latency_s: float = 0.0) -> None:
        self._observe(True, latency_s)
        self.consecutive_failures += 1
        tripped = self.state is BreakerState.HALF_OPEN or self.consecutive_failures >= self.threshold
        self._apply(BreakerEvent.TRIPPED if tripped else BreakerEvent.FAILED)

    def stats(self) -> SourceStats:
        rate = sum(self.recent) / len(self.recent) if self.recent else 0.0
        return SourceStats(
            self.source, self.state.value, self.calls, self.failures, rate, self.latency_ms_ewma, self.opened
        )

    def _apply(self, event: BreakerEvent) -> None:
        before = self.state
        self.state = next_state(before, event)
        self.probing = False if event is not BreakerEvent.COOLED_DOWN else self.probing
        if self.state is BreakerState.OPEN and (before is not BreakerState.OPEN):
            self.opened_at = self.clock()
            self.opened += 1

    def _observe(self, failed: bool, latency_s: float) -> None:
        self.calls += 1
        self.failures += int(failed)
        self.recent.append(failed)
        if len(self.recent) > self.window:
            self.recent.popleft()
        ms = latency_s * 1000.0
        self.latency_ms_ewma = ms if self.calls == 1 else 0.8 * self.latency_ms_ewma + 0.2 * ms
