"""Candle windows in memory over the on-disk history store, and the TTL policy for cached market data.

``WindowCache`` keeps the recent candles of each (source, symbol, timeframe) in memory (LRU), falls back to the
history store on disk, and counts hits and misses. Closed candles never change, so a cached window stays valid
until the next bar closes: its time-to-live is set by the timeframe. Tickers change continuously: ``ttl_ms``
shortens their time-to-live as volatility rises.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl

from tradepipe.clock import timeframe_ms

OHLCV = ("timestamp", "open", "high", "low", "close", "volume")
REFERENCE_VOLATILITY = 0.05  # a 24 h high-low range of 5 % of the price keeps the full TTL


def ttl_ms(timeframe: str, volatility: float, *, floor_fraction: float = 0.1) -> int:
    """Time-to-live of cached tickers: one bar of ``timeframe``, cut by volatility (24 h range / price).

    ``ttl = bar * clip(REFERENCE_VOLATILITY / volatility, floor_fraction, 1)``: calm markets keep a full bar,
    a market swinging 4x the reference keeps a quarter of it, never less than ``floor_fraction``.
    """
    bar = timeframe_ms(timeframe)
    if volatility <= 0:
        return bar
    return int(bar * min(1.0, max(floor_fraction, REFERENCE_VOLATILITY / volatility)))


class HistoryStore(Protocol):
    def last_timestamp(self, venue: str, symbol: str, timeframe: str) -> int | None: ...

    def read(self, venue: str, symbol: str, timeframe: str, since_ms: int | None = None) -> pl.DataFrame: ...

    def append(self, venue: str, symbol: str, timeframe: str, rows: pl.DataFrame) -> int: ...


@dataclass(slots=True)
class CacheCounters:
    hits: int = 0  # windows served without a venue call
    misses: int = 0  # windows that needed a venue call
    disk_reads: int = 0  # windows loaded from the on-disk store into memory
    rows_cached: int = 0  # candles served from memory or disk
    rows_fetched: int = 0  # candles fetched from a venue


class WindowCache:
    """The last ``keep_bars`` candles per (source, symbol, timeframe): memory first, then the history store.

    In memory a window is an ``(n, 6)`` float64 array (timestamp, open, high, low, close, volume; millisecond
    timestamps are exact in float64): the fetch hot path slices it without per-symbol frame operations.
    """

    def __init__(self, store: HistoryStore, *, keep_bars: int = 1_000, max_entries: int = 20_000) -> None:
        self.store = store
        self.keep_bars = keep_bars
        self.max_entries = max_entries
        self.counters = CacheCounters()
        self._memory: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()

    def array(self, source: str, symbol: str, timeframe: str) -> np.ndarray:
        key = (source, symbol, timeframe)
        cached = self._memory.get(key)
        if cached is None:
            self.counters.disk_reads += 1
            since = None
            last = self.store.last_timestamp(source, symbol, timeframe)
            if last is not None:
                since = last - (self.keep_bars - 1) * timeframe_ms(timeframe)
            frame = self.store.read(source, symbol, timeframe, since)
            cached = frame.select(OHLCV).to_numpy().astype(np.float64, copy=False).reshape(-1, len(OHLCV))
            self._put(key, cached)
        else:
            self._memory.move_to_end(key)
        return cached

    def frame(self, source: str, symbol: str, timeframe: str) -> pl.DataFrame:
        return array_frame(self.array(source, symbol, timeframe))

    def last_timestamp(self, source: str, symbol: str, timeframe: str) -> int | None:
        rows = self.array(source, symbol, timeframe)
        return int(rows[-1, 0]) if len(rows) else None

    def append(self, source: str, symbol: str, timeframe: str, rows: np.ndarray | pl.DataFrame) -> int:
        """Persist candles newer than the cached ones, then extend the in-memory window with them."""
        new = rows if isinstance(rows, np.ndarray) else rows.select(OHLCV).to_numpy().astype(np.float64)
        current = self.array(source, symbol, timeframe)
        if len(current):
            new = new[new[:, 0] > current[-1, 0]]
        if not len(new):
            return 0
        added = self.store.append(source, symbol, timeframe, array_frame(new))
        self._put((source, symbol, timeframe), np.concatenate([current, new])[-self.keep_bars :])
        self.counters.rows_fetched += added
        return added

    def _put(self, key: tuple[str, str, str], rows: np.ndarray) -> None:
        self._memory[key] = rows
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)


def array_frame(rows: np.ndarray) -> pl.DataFrame:
    """An ``(n, 6)`` candle array as a history frame (integer timestamps)."""
    rows = rows.reshape(-1, len(OHLCV))
    return pl.DataFrame({"timestamp": rows[:, 0].astype(np.int64), **{c: rows[:, i] for i, c in enumerate(OHLCV) if i}})
