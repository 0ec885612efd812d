"""Fetch a batch's candles (paged, closed bars only) and write them to the store once per sim time."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from tradepipe.clock import timeframe_ms
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.market import Batch, DatasetRef
from tradepipe.errors import TransientVenueError

CANDLE_SCHEMA: dict[str, pl.DataType] = {
    "venue": pl.String(),
    "symbol": pl.String(),
    "timestamp": pl.Int64(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "volume": pl.Float64(),
}
READ_ATTEMPTS = 3


class CandleStore(Protocol):
    def find(self, key: str) -> DatasetRef | None: ...

    def write(
        self, key: str, frame: pl.DataFrame, *, timeframe: str, batch_index: int, as_of_ms: int
    ) -> DatasetRef: ...


@dataclass(frozen=True, slots=True)
class FetchResult:
    ref: DatasetRef
    cache_hit: bool
    missing: tuple[tuple[str, str, str], ...]  # (venue, symbol, reason)


def batch_key(batch: Batch, timeframe: str, bars: int, as_of_ms: int) -> str:
    text = "|".join(f"{e.venue}:{e.symbol}" for e in batch.entries) + f"|{timeframe}|{bars}|{as_of_ms}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def fetch_batch(
    batch: Batch,
    gateways: Mapping[str, VenueGateway],
    store: CandleStore,
    *,
    timeframe: str,
    bars: int,
    as_of_ms: int,
) -> FetchResult:
    """The last ``bars`` closed candles of every symbol in ``batch`` as of ``as_of_ms``; reuses a stored copy."""
    key = batch_key(batch, timeframe, bars, as_of_ms)
    if (cached := store.find(key)) is not None:
        return FetchResult(cached, cache_hit=True, missing=())
    frames: list[pl.DataFrame] = []
    missing: list[tuple[str, str, str]] = []
    since = as_of_ms - bars * timeframe_ms(timeframe)
    for entry in batch.entries:
        try:
            rows = fetch_history(gateways[entry.venue], entry.symbol, timeframe, since, as_of_ms)
        except TransientVenueError as exc:
            missing.append((entry.venue, entry.symbol, f"fetch failed after {READ_ATTEMPTS} attempts: {exc}"))
            continue
        if not rows:
            missing.append((entry.venue, entry.symbol, "venue returned no candles"))
            continue
        frames.append(candle_frame(entry.venue, entry.symbol, rows))
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=CANDLE_SCHEMA)
    ref = store.write(key, frame, timeframe=timeframe, batch_index=batch.index, as_of_ms=as_of_ms)
    return FetchResult(ref, cache_hit=False, missing=tuple(missing))


def fetch_history(gateway: VenueGateway, symbol: str, timeframe: str, since: int, until_ms: int) -> list[list[float]]:
    """Page through ``fetch_ohlcv`` from ``since``; keeps only bars that closed by ``until_ms``."""
    step = timeframe_ms(timeframe)
    limit = gateway.capabilities.ohlcv_limit
    rows: list[list[float]] = []
    cursor = since
    while cursor + step <= until_ms:
        page = _read_with_retries(gateway, symbol, timeframe, cursor, limit)
        page = [r for r in page if r[0] >= cursor and r[0] + step <= until_ms]
        if not page:
            break
        rows.extend(page)
        cursor = int(page[-1][0]) + step
    return rows


def _read_with_retries(gateway: VenueGateway, symbol: str, timeframe: str, since: int, limit: int) -> list[list[float]]:
    for attempt in range(READ_ATTEMPTS):
        try:
            return gateway.fetch_ohlcv(symbol, timeframe, since=since, limit=limit)
        except TransientVenueError:
            if attempt == READ_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")


def candle_frame(venue: str, symbol: str, rows: list[list[float]]) -> pl.DataFrame:
    columns = list(zip(*rows, strict=True))
    return pl.DataFrame(
        {
            "venue": [venue] * len(rows),
            "symbol": [symbol] * len(rows),
            "timestamp": [int(v) for v in columns[0]],
            **{
                name: [float(v) if v is not None else float("nan") for v in columns[i + 1]]
                for i, name in enumerate(("open", "high", "low", "close", "volume"))
            },
        },
        schema=CANDLE_SCHEMA,
    )
