"""Candles for the strategy tests: the simulator's market and synthetic series built for each regime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tradepipe.adapters.venues.sim_market import SimMarket

HOUR_MS = 3_600_000
T0 = 1_700_000_000_000


@pytest.fixture(scope="session")
def sim_market() -> SimMarket:
    return SimMarket(seed=11, history_bars=1500, future_bars=0, n_symbols=12)


@pytest.fixture(scope="session")
def sim_ohlcv(sim_market: SimMarket) -> list[np.ndarray]:
    """Clean sim candles of 12 symbols: (n, 6) arrays ts, o, h, l, c, v."""
    return [np.array(sim_market.clean_candles(s)) for s in sim_market.symbols()]


def ohlcv_from_close(close: np.ndarray, spread: float = 0.004, seed: int = 0) -> dict[str, np.ndarray]:
    """OHLCV around a close path: open = previous close, highs/lows a random share of ``spread`` outside."""
    rng = np.random.default_rng(seed)
    n = close.size
    opens = np.concatenate((close[:1], close[:-1]))
    high = np.maximum(opens, close) * (1 + spread * rng.uniform(0.2, 1.0, n))
    low = np.minimum(opens, close) * (1 - spread * rng.uniform(0.2, 1.0, n))
    return {
        "timestamp": T0 + np.arange(n, dtype=np.int64) * HOUR_MS,
        "open": opens,
        "high": high,
        "low": low,
        "close": close,
        "volume": rng.uniform(50, 150, n),
    }


def random_walk(n: int, sigma: float = 0.01, drift: float = 0.0, seed: int = 0, start: float = 100.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(drift, sigma, n)))


def write_batch(path: Path, symbols: dict[str, dict[str, np.ndarray]], venue: str = "sim-alpha") -> str:
    """A candle file as the store writes it: one row per bar, sorted by venue, symbol, timestamp."""
    frames = [
        pl.DataFrame({"venue": [venue] * cols["close"].size, "symbol": [name] * cols["close"].size, **cols})
        for name, cols in symbols.items()
    ]
    pl.concat(frames).sort("venue", "symbol", "timestamp", maintain_order=True).write_parquet(path)
    return str(path)
