"""One injectable clock: simulated time in paper cycles, tests and backtests; wall time live."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

MS_PER_SECOND = 1_000
TIMEFRAME_MS: dict[str, int] = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


@dataclass(frozen=True, slots=True)
class SimClock:
    """A clock frozen at one instant; a trading cycle on the simulator runs at one sim time."""

    at_ms: int

    def now_ms(self) -> int:
        return self.at_ms


class WallClock:
    """The real time, for live trading."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


def timeframe_ms(timeframe: str) -> int:
    """Length of one bar in milliseconds; raises ``KeyError`` for an unknown timeframe."""
    return TIMEFRAME_MS[timeframe]


def floor_to_bar(ms: int, timeframe: str) -> int:
    """Start of the bar that contains ``ms``."""
    step = timeframe_ms(timeframe)
    return ms - ms % step
