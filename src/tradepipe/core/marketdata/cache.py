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

import polars as pl

from tradepipe.clock import timeframe_ms

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
    """The last ``keep_bars`` candles per (source, symbol, timeframe): memory first, then the history store."""

    def __init__(self, store: HistoryStore, *, keep_bars: int = 1_000, max_entries: int = 20_000) -> None:
        self.store = store
        self.keep_bars = keep_bars
        self.max_entries = max_entries
        self.counters = CacheCounters()
        self._memory: OrderedDict[tuple[str, str, str], pl.DataFrame] = OrderedDict()

    def frame(self, source: str, symbol: str, timeframe: str) -> pl.DataFrame:
        key = (source, symbol, timeframe)
        cached = self._memory.get(key)
        if cached is None:
            self.counters.disk_reads += 1
            since = None
            last = self.store.last_timestamp(source, symbol, timeframe)
            if last is not None:
                since = last - (self.keep_bars - 1) * timeframe_ms(timeframe)
            cached = self.store.read(source, symbol, timeframe, since)
            self._put(key, cached)
        else:
            self._memory.move_to_end(key)
        return cached

    def last_timestamp(self, source: str, symbol: str, timeframe: str) -> int | None:
        frame = self.frame(source, symbol, timeframe)
        return int(frame["timestamp"][-1]) if frame.height else None

    def append(self, source: str, symbol: str, timeframe: str, rows: pl.DataFrame) -> int:
        """Persist new candles, then extend the in-memory window with what the store accepted."""
        if rows.is_empty():
            return 0
        current = self.frame(source, symbol, timeframe)
        added = self.store.append(source, symbol, timeframe, rows)
        if added:
            last = int(current["timestamp"][-1]) if current.height else None
            new = rows if last is None else rows.filter(pl.col("timestamp") > last)
            merged = pl.concat([current, new.select(current.columns).cast(current.schema)]).tail(self.keep_bars)
            self._put((source, symbol, timeframe), merged)
        self.counters.rows_fetched += added
        return added

    def _put(self, key: tuple[str, str, str], frame: pl.DataFrame) -> None:
        self._memory[key] = frame
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)
