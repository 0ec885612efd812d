"""Execution policy and pacing: read retries with backoff, per-venue backoff after rate limits.

Only read-only calls are retried here. A create that was rate limited was not taken by the venue, so it is
sent again after the venue's backoff — under the same client order id, so even that cannot duplicate it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from tradepipe.errors import RateLimited, TransientVenueError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    """The ``[execution]`` settings that placement needs, as plain values (core never reads Settings)."""

    read_attempts: int = 3
    read_backoff_s: float = 0.05
    rate_limit_backoff_s: float = 0.5
    rate_limit_max_backoff_s: float = 8.0
    rate_limit_rounds: int = 4
    max_slippage_bps: float = 50.0
    slippage_action: Literal["limit", "deny"] = "limit"
    routing: Literal["best", "off"] = "best"
    resize_on_insufficient_funds: bool = True
    not_found_grace_s: float = 0.0  # recovery closes an order the venue does not show only after this long


@dataclass(slots=True)
class Pacer:
    """Waits between venue calls: exponential backoff per venue after rate limits, backoff between read retries."""

    policy: ExecutionPolicy = field(default_factory=ExecutionPolicy)
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    _strikes: dict[str, int] = field(default_factory=dict)
    _resume_at: dict[str, float] = field(default_factory=dict)

    def wait_for(self, venue: str) -> None:
        """Sleep until ``venue``'s backoff (if any) has passed."""
        delay = self._resume_at.get(venue, 0.0) - self.monotonic()
        if delay > 0:
            self.sleep(delay)

    def rate_limited(self, venue: str, retry_after_s: float | None = None) -> float:
        """Note a rate limit from ``venue``; returns its backoff: doubling per strike, capped, or the venue's hint."""
        strikes = self._strikes.get(venue, 0) + 1
        self._strikes[venue] = strikes
        p = self.policy
        backoff = min(p.rate_limit_backoff_s * 2 ** (strikes - 1), p.rate_limit_max_backoff_s)
        backoff = max(backoff, retry_after_s or 0.0)
        self._resume_at[venue] = self.monotonic() + backoff
        return backoff

    def succeeded(self, venue: str) -> None:
        self._strikes.pop(venue, None)

    def read(self, venue: str, call: Callable[[], T], what: str) -> T:
        """``call()`` retried on transient errors with exponential backoff; the last error propagates."""
        attempts = max(1, self.policy.read_attempts)
        for attempt in range(attempts):
            self.wait_for(venue)
            try:
                result = call()
            except RateLimited as exc:
                self.rate_limited(venue, getattr(exc, "retry_after_s", None))
                if attempt == attempts - 1:
                    raise
            except TransientVenueError as exc:
                if attempt == attempts - 1:
                    raise
                log.info("%s on %s failed (%s); retrying", what, venue, exc)
                self.sleep(self.policy.read_backoff_s * 2**attempt)
            else:
                self.succeeded(venue)
                return result
        raise AssertionError("unreachable")  # pragma: no cover
