"""The source router: per-source circuit breakers, retries with backoff and jitter, progressive fallback.

For a symbol the router tries sources in order (the symbol's own venue first, then the configured fallbacks that
list it). Each call to a source passes its breaker; a transient failure is retried with exponential backoff and
jitter (a rate limit waits the venue's hint), and every failed attempt counts against the breaker. Paging moves
the cursor to the bar after the last one *received*, so a short or failed page leaves no gap: what was received
is kept and the next source (or the next cycle) continues from there.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tradepipe.clock import timeframe_ms
from tradepipe.core.marketdata.breaker import CircuitBreaker, SourceStats
from tradepipe.core.ports import VenueGateway
from tradepipe.errors import RateLimited, TransientVenueError, VenueRejected

T = TypeVar("T")


class SourceUnavailable(TransientVenueError):
    """The source's breaker is open: do not call it now."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    base_s: float = 0.02
    cap_s: float = 1.0
    max_rate_limit_wait_s: float = 5.0

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return rng.uniform(0.0, min(self.cap_s, self.base_s * 2**attempt))


@dataclass(frozen=True, slots=True)
class RangeResult:
    """Candles one source delivered for ``[since, until)``; ``complete`` when it reached the last closed bar."""

    source: str
    rows: list[list[float]]
    complete: bool
    error: str = ""


class SourceRouter:
    """Breakers, retries and fallback over named sources; see the module docstring."""

    def __init__(
        self,
        sources: Mapping[str, VenueGateway],
        *,
        fallback_order: Sequence[str] = (),
        breakers: dict[str, CircuitBreaker] | None = None,
        threshold: int = 5,
        cooldown_s: float = 30.0,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        seed: int = 0,
    ) -> None:
        self.sources = dict(sources)
        self.order = [s for s in fallback_order if s in self.sources] + [
            s for s in self.sources if s not in fallback_order
        ]
        # breakers outlive one router when the caller keeps them (one router per cycle, breakers per process)
        self.breakers = breakers if breakers is not None else {}
        for name in self.sources:
            self.breakers.setdefault(
                name, CircuitBreaker(name, threshold=threshold, cooldown_s=cooldown_s, clock=clock)
            )
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.sleep = sleep
        self._rng = random.Random(seed)
        self._listed: dict[str, frozenset[str]] = {}

    # --- routing -----------------------------------------------------------------
    def listed(self, source: str) -> frozenset[str]:
        """The symbols a source lists (loaded once through its breaker; empty while it is unreachable)."""
        if source not in self._listed:
            try:
                markets = self.call(source, lambda g: g.load_markets())
            except TransientVenueError:
                return frozenset()
            self._listed[source] = frozenset(s for s, m in markets.items() if m.get("active", True))
        return self._listed[source]

    def sources_for(self, symbol: str, primary: str) -> list[str]:
        """The symbol's own venue first, then every other source in fallback order that lists it."""
        first = [primary] if primary in self.sources else []
        return first + [s for s in self.order if s != primary and symbol in self.listed(s)]

    def call(self, source: str, fn: Callable[[VenueGateway], T]) -> T:
        """One call to a source through its breaker, with retries on transient errors."""
        breaker = self.breakers[source]
        gateway = self.sources[source]
        last: TransientVenueError | None = None
        for attempt in range(self.retry.attempts):
            if not breaker.allow():
                raise SourceUnavailable(f"{source}: circuit open ({breaker.consecutive_failures} failures)")
            started = self.clock()
            try:
                result = fn(gateway)
            except RateLimited as exc:
                breaker.record_failure(self.clock() - started)
                last = exc
                wait = exc.retry_after_s if exc.retry_after_s is not None else self.retry.base_s * 2**attempt
                self._pause(min(wait, self.retry.max_rate_limit_wait_s), attempt)
            except TransientVenueError as exc:
                breaker.record_failure(self.clock() - started)
                last = exc
                self._pause(self.retry.backoff_s(attempt, self._rng), attempt)
            except VenueRejected:  # the venue answered: healthy, but the request was refused
                breaker.record_success(self.clock() - started)
                raise
            except Exception:  # anything else (a refused key, a bug) is not retried but does count against it
                breaker.record_failure(self.clock() - started)
                raise
            else:
                breaker.record_success(self.clock() - started)
                return result
        assert last is not None
        raise last

    def _pause(self, seconds: float, attempt: int) -> None:
        if attempt < self.retry.attempts - 1 and seconds > 0:
            self.sleep(seconds)

    # --- candles -----------------------------------------------------------------
    def fetch_range(self, source: str, symbol: str, timeframe: str, since: int, until_ms: int) -> RangeResult:
        """Page ``fetch_ohlcv`` forward from ``since``; keeps closed bars only, stops at the first bad page."""
        step = timeframe_ms(timeframe)
        limit = self.sources[source].capabilities.ohlcv_limit
        rows: list[list[float]] = []
        cursor = since
        while cursor + step <= until_ms:

            def fetch(g: VenueGateway, at: int = cursor) -> list[list[float]]:
                return g.fetch_ohlcv(symbol, timeframe, since=at, limit=limit)

            try:
                page = self.call(source, fetch)
            except (TransientVenueError, VenueRejected) as exc:
                return RangeResult(source, rows, complete=False, error=f"{type(exc).__name__}: {exc}")
            page = [r for r in page if r[0] >= cursor and r[0] + step <= until_ms]
            if not page:  # nothing although bars are due: an empty or stale page
                self.breakers[source].record_failure()
                return RangeResult(source, rows, complete=False, error="empty or stale page")
            rows.extend(page)
            cursor = int(page[-1][0]) + step
        return RangeResult(source, rows, complete=True)

    def stats(self) -> list[SourceStats]:
        return [b.stats() for b in self.breakers.values()]
