"""Shared builders: simulated venues over one market, a store and a window cache in a temp dir."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tradepipe.adapters.storage.candles import ParquetCandleStore
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.core.marketdata import RetryPolicy, SourceRouter, WindowCache
from tradepipe.domain.market import Batch, UniverseEntry

HOUR = 3_600_000
MARKET = SimMarket(seed=11, history_bars=700, future_bars=50, bad_data_every=0)
SYMBOLS = MARKET.symbols()[:12]
NOW = MARKET.history_end_ms  # on a bar boundary


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def venue(
    name: str, symbols: list[str] | None = None, faults: FaultPlan | None = None, *, now: int = NOW, limit: int = 100
) -> SimExchange:
    return SimExchange(
        name,
        MARKET,
        SimClock(now),
        symbols=symbols or SYMBOLS,
        taker_fee=0.001,
        maker_fee=0.001,
        depth_usd=100_000.0,
        spread_bps=3.0,
        faults=faults,
        ohlcv_limit=limit,
    )


def router(sources: Mapping[str, SimExchange], clock: FakeClock | None = None, **kw: object) -> SourceRouter:
    sleeps: list[float] = []
    r = SourceRouter(
        sources,
        clock=clock or FakeClock(),
        sleep=sleeps.append,
        retry=RetryPolicy(attempts=2),
        **kw,  # type: ignore[arg-type]
    )
    r.sleeps = sleeps  # type: ignore[attr-defined]
    return r


def batch(venue_name: str, symbols: list[str], index: int = 0) -> Batch:
    return Batch(
        index=index,
        entries=tuple(UniverseEntry(venue_name, s, i + 1, 1e6, 1.0) for i, s in enumerate(symbols)),
    )


@pytest.fixture
def store(tmp_path: Path) -> ParquetCandleStore:
    return ParquetCandleStore(tmp_path / "candles")


@pytest.fixture
def cache(store: ParquetCandleStore) -> WindowCache:
    return WindowCache(store, keep_bars=400)
