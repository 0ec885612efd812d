"""The bad-data fixture corpus: clean sim candles with exactly one planted defect each, and the check it must trip.

Shared by the polars-tier unit tests, the GX-tier integration tests and the gate-stage tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import timeframe_ms
from tradepipe.core.marketdata.fetch import candle_frame
from tradepipe.core.quality import QualityRules
from tradepipe.domain.quality import Verdict

TF = "1h"
STEP = timeframe_ms(TF)
BARS = 300
K = BARS - 10  # the row a defect goes into (a recent bar, as the sim plants them)
VENUE = "sim-q"
RULES = QualityRules(stale_bars=2, min_bars=78)  # the stage's default: min(history_bars, 3 × slow)


def clean_frame(market: SimMarket, symbol: str, venue: str = VENUE) -> pl.DataFrame:
    return candle_frame(venue, symbol, market.clean_candles(symbol).tolist())


def as_of(frame: pl.DataFrame) -> int:
    """The sim time at which the frame's last bar is the newest closed one."""
    return int(frame["timestamp"].max()) + STEP


def set_cells(frame: pl.DataFrame, row: int, **values: float | None) -> pl.DataFrame:
    idx = pl.int_range(pl.len()) == row
    return frame.with_columns(
        [pl.when(idx).then(pl.lit(v, dtype=frame.schema[c])).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
    )


def _spike(f: pl.DataFrame) -> pl.DataFrame:
    close = f["close"][K] * 3.0
    return set_cells(f, K, close=close, high=close)


def _zero_volume_run(f: pl.DataFrame) -> pl.DataFrame:
    idx = pl.int_range(pl.len())
    return f.with_columns(pl.when((idx >= K) & (idx < K + 5)).then(0.0).otherwise(pl.col("volume")).alias("volume"))


def _duplicate(f: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([f.slice(0, K + 1), f.slice(K, 1), f.slice(K + 1)])


def _unordered(f: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([f.slice(0, K), f.slice(K + 1, 1), f.slice(K, 1), f.slice(K + 2)])


@dataclass(frozen=True, slots=True)
class Defect:
    plant: Callable[[pl.DataFrame], pl.DataFrame]
    check: str  # the check that must name it
    verdict: Verdict  # what the default thresholds make of it
    gx: bool = False  # the GX suite sees it too (row-level integrity)


DEFECTS: dict[str, Defect] = {
    "nan_close": Defect(lambda f: set_cells(f, K, close=float("nan")), "nan_values", Verdict.QUARANTINE, gx=True),
    "null_volume": Defect(lambda f: set_cells(f, K, volume=None), "nan_values", Verdict.QUARANTINE, gx=True),
    "inf_high": Defect(lambda f: set_cells(f, K, high=float("inf")), "nan_values", Verdict.QUARANTINE, gx=True),
    "zero_close": Defect(
        lambda f: set_cells(f, K, close=0.0, low=0.0), "non_positive_price", Verdict.QUARANTINE, gx=True
    ),
    "negative_open": Defect(
        lambda f: set_cells(f, K, open=-1.0, low=-1.0), "non_positive_price", Verdict.QUARANTINE, gx=True
    ),
    "high_below_low": Defect(
        lambda f: set_cells(f, K, high=f["low"][K], low=f["high"][K]), "ohlc_inconsistent", Verdict.QUARANTINE, gx=True
    ),
    "close_above_high": Defect(
        lambda f: set_cells(f, K, close=f["high"][K] * 1.01), "ohlc_inconsistent", Verdict.QUARANTINE, gx=True
    ),
    "open_below_low": Defect(
        lambda f: set_cells(f, K, open=f["low"][K] * 0.99), "ohlc_inconsistent", Verdict.QUARANTINE, gx=True
    ),
    "negative_volume": Defect(lambda f: set_cells(f, K, volume=-5.0), "negative_volume", Verdict.QUARANTINE, gx=True),
    "duplicate_timestamp": Defect(_duplicate, "duplicate_or_unordered", Verdict.QUARANTINE, gx=True),
    "unordered_timestamps": Defect(_unordered, "duplicate_or_unordered", Verdict.QUARANTINE),
    "missing_bar": Defect(lambda f: f.filter(pl.int_range(pl.len()) != K), "gap", Verdict.QUARANTINE),
    "stale_last_candle": Defect(lambda f: f.head(f.height - 5), "stale", Verdict.QUARANTINE),
    "short_history": Defect(lambda f: f.tail(40), "short_history", Verdict.WARN),
    "spike": Defect(_spike, "spike", Verdict.WARN),
    "zero_volume_run": Defect(_zero_volume_run, "zero_volume_run", Verdict.WARN),
}


def defect_market() -> SimMarket:
    return SimMarket(seed=21, history_bars=BARS, future_bars=0)


def defect_corpus(market: SimMarket) -> tuple[pl.DataFrame, dict[str, str], int]:
    """All defects in one batch, one symbol each: (frame, symbol → defect name, as_of_ms)."""
    symbols = market.symbols()[: len(DEFECTS)]
    frames, planted = [], {}
    at = as_of(clean_frame(market, symbols[0]))
    for symbol, (name, defect) in zip(symbols, DEFECTS.items(), strict=True):
        frames.append(defect.plant(clean_frame(market, symbol)))
        planted[symbol] = name
    return pl.concat(frames), planted, at
