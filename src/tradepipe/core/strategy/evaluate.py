"""Evaluate one batch file of candles: the unit of work sent to a Dask worker.

Everything here is importable top-level and picklable, reads candles by path and returns only small
``Decision`` values, so a worker never ships a frame back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from tradepipe.core.strategy.cache import EvaluationCache
from tradepipe.core.strategy.engine import EngineSpec, SymbolCandles, evaluate_symbols
from tradepipe.domain.strategy import Decision, Direction
from tradepipe.errors import DataQualityError

logger = logging.getLogger(__name__)

CANDLE_SCHEMA: dict[str, type[pl.DataType]] = {
    "venue": pl.String,
    "symbol": pl.String,
    "timestamp": pl.Int64,
    "open": pl.Float64,
    "high": pl.Float64,
    "low": pl.Float64,
    "close": pl.Float64,
    "volume": pl.Float64,
}
PRICE_COLUMNS = ("open", "high", "low", "close")


@dataclass(frozen=True, slots=True)
class EvaluationJob:
    """One batch to evaluate: a candle file, the (venue, symbol) pairs that passed the gate and, aligned
    with them, each pair's data-quality score (empty = all 1.0)."""

    path: str
    pairs: tuple[tuple[str, str], ...]
    quality: tuple[float, ...] = ()


def error_decision(venue: str, symbol: str, error: str) -> Decision:
    """A FLAT decision recording why a symbol could not be evaluated."""
    return Decision(
        venue=venue,
        symbol=symbol,
        regime="unknown",
        signals=(),
        score=0.0,
        last_price=0.0,
        atr=0.0,
        volatility=0.0,
        error=error,
        action=Direction.FLAT,
        reason=f"error: {error}",
    )


def read_candles(path: str, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], pl.DataFrame]:
    """Read the requested pairs from a candle file: one frame per (venue, symbol), rows in file order.

    Raises ``DataQualityError`` when the file cannot be read or lacks a candle column.
    """
    venues = sorted({venue for venue, _ in pairs})
    symbols = sorted({symbol for _, symbol in pairs})
    try:
        # Filter by venue and by symbol (pushed down to the parquet scan); the per-pair lookup by the
        # caller drops the few extra (venue, symbol) combinations this lets through.
        frame = (
            pl.scan_parquet(path)
            .filter(pl.col("venue").is_in(venues) & pl.col("symbol").is_in(symbols))
            .select([pl.col(name).cast(dtype) for name, dtype in CANDLE_SCHEMA.items()])
            .collect()
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataQualityError(f"cannot read candles from {path}: {exc}") from exc
    groups = frame.partition_by(["venue", "symbol"], as_dict=True, maintain_order=True)
    return {(str(key[0]), str(key[1])): group for key, group in groups.items()}


def symbol_candles(venue: str, symbol: str, frame: pl.DataFrame, quality: float = 1.0) -> SymbolCandles:
    """Validated float64 columns of one symbol. Polars nulls become NaN (gaps), explicitly.

    Raises ``DataQualityError`` for unsorted or duplicate timestamps and non-positive prices.
    """
    ts = frame["timestamp"].to_numpy()
    if ts.size > 1 and not bool(np.all(np.diff(ts) > 0)):
        raise DataQualityError("timestamps are not strictly increasing (unsorted or duplicate bars)")
    columns = {}
    for name in (*PRICE_COLUMNS, "volume"):
        values = frame[name].fill_null(float("nan")).to_numpy().astype(np.float64, copy=False)
        if name in PRICE_COLUMNS and bool(np.any(values <= 0)):
            raise DataQualityError(f"{name} has non-positive prices")
        columns[name] = np.ascontiguousarray(values)
    return SymbolCandles(venue, symbol, columns, ts, quality)


def evaluate_batch(
    path: str,
    pairs: Sequence[tuple[str, str]],
    spec: EngineSpec,
    cache: EvaluationCache | None = None,
    quality: Sequence[float] = (),
) -> list[Decision]:
    """Evaluate ``pairs`` from the candle file at ``path``; one decision per pair, in the order given.

    A pair missing from the file or with malformed candles becomes a FLAT decision with ``error`` set:
    one bad symbol never fails the batch. A file that cannot be read at all raises ``DataQualityError``
    (the caller decides whether to skip the batch or halt).
    """
    if not pairs:
        return []
    candles = read_candles(path, pairs)
    scores = list(quality) or [1.0] * len(pairs)
    items: list[SymbolCandles] = []
    slots: list[Decision | int] = []
    for (venue, symbol), q in zip(pairs, scores, strict=True):
        frame = candles.get((venue, symbol))
        if frame is None:
            slots.append(error_decision(venue, symbol, f"no candles for {venue}:{symbol} in {path}"))
            continue
        try:
            items.append(symbol_candles(venue, symbol, frame, q))
            slots.append(len(items) - 1)
        except DataQualityError as exc:
            logger.warning("candles of %s:%s rejected: %s", venue, symbol, exc)
            slots.append(error_decision(venue, symbol, f"DataQualityError: {exc}"))
    evaluated = evaluate_symbols(items, spec, cache)
    return [evaluated[s] if isinstance(s, int) else s for s in slots]


def evaluate_job(job: EvaluationJob, spec: EngineSpec, cache: EvaluationCache | None = None) -> list[Decision]:
    """``evaluate_batch`` over an ``EvaluationJob``: the function to map over batches on Dask."""
    return evaluate_batch(job.path, job.pairs, spec, cache, job.quality)
