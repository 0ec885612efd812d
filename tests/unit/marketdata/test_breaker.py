"""Circuit breaker: the transition table, opening after N failures, half-open after the cool-down, one probe."""

from __future__ import annotations

import pytest

from tests.unit.marketdata.conftest import FakeClock
from tradepipe.core.marketdata.breaker import (
    TRANSITIONS,
    BreakerEvent,
    BreakerState,
    CircuitBreaker,
    next_state,
)
from tradepipe.errors import InvalidTransition


@pytest.mark.parametrize("state", list(BreakerState))
@pytest.mark.parametrize("event", list(BreakerEvent))
def test_every_pair_is_in_the_table_or_refused(state: BreakerState, event: BreakerEvent) -> None:
    if (state, event) in TRANSITIONS:
        assert next_state(state, event) is TRANSITIONS[(state, event)]
    else:
        with pytest.raises(InvalidTransition):
            next_state(state, event)


def test_breaker_opens_after_n_consecutive_failures_and_half_opens_after_the_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("v", threshold=3, cooldown_s=30.0, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure(0.01)
    assert breaker.state is BreakerState.CLOSED
    breaker.record_success(0.01)  # a success resets the count: failures must be consecutive
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure(0.01)
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    clock.advance(29.9)
    assert not breaker.allow() and breaker.state is BreakerState.OPEN
    clock.advance(0.2)
    assert breaker.allow() and breaker.state is BreakerState.HALF_OPEN  # the probe
    assert not breaker.allow()  # one probe at a time
    breaker.record_success(0.02)
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    stats = breaker.stats()
    assert (stats.calls, stats.failures, stats.opened) == (7, 5, 1)
    assert stats.error_rate == pytest.approx(5 / 7) and stats.latency_ms_ewma > 0


def test_a_failed_probe_reopens_for_another_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("v", threshold=1, cooldown_s=10.0, clock=clock)
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.advance(10.0)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and breaker.stats().opened == 2
    clock.advance(9.0)
    assert not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow() and breaker.state is BreakerState.HALF_OPEN


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        CircuitBreaker("v", threshold=0)
