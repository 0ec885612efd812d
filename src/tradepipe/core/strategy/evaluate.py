"""Evaluate one batch file of candles: the unit of work sent to a Dask worker.

Everything here is importable top-level and picklable, reads candles by path and returns only small
``Decision`` values, so a worker never ships a frame back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import polars as pl

from tradepipe.core.strategy.ema_cross import StrategyParams, evaluate_symbol, flat_decision
from tradepipe.domain.strategy import Decision
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


@dataclass(frozen=True, slots=True)
class EvaluationJob:
    """One batch to evaluate: a candle file and the (venue, symbol) pairs that passed the gate."""

    path: str
    pairs: tuple[tuple[str, str], ...]


def error_decision(venue: str, symbol: str, error: str) -> Decision:
    """A FLAT decision recording why a symbol could not be evaluated."""
    return replace(flat_decision(venue, symbol, f"error: {error}", 0.0), error=error)


def read_candles(path: str, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], pl.DataFrame]:
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


def _evaluate_frame(venue: str, symbol: str, candles: pl.DataFrame, params: StrategyParams) -> Decision:
    return evaluate_symbol(
        venue,
        symbol,
        candles["timestamp"].to_numpy(),
        candles["open"].to_numpy(),
        candles["high"].to_numpy(),
        candles["low"].to_numpy(),
        candles["close"].to_numpy(),
        candles["volume"].to_numpy(),
        params,
    )


def evaluate_batch(path: str, pairs: list[tuple[str, str]], params: StrategyParams) -> list[Decision]:
    """Evaluate ``pairs`` from the candle file at ``path``; one decision per pair, in the order given.

    A pair that is missing from the file, or whose evaluation raises, becomes a FLAT decision with
    ``error`` set: one bad symbol never fails the batch. A file that cannot be read at all raises
    ``DataQualityError`` (the caller decides whether to skip the batch or halt).
    """
    if not pairs:
        return []
    candles = read_candles(path, pairs)
    decisions: list[Decision] = []
    for venue, symbol in pairs:
        frame = candles.get((venue, symbol))
        if frame is None:
            decisions.append(error_decision(venue, symbol, f"no candles for {venue}:{symbol} in {path}"))
            continue
        try:
            decisions.append(_evaluate_frame(venue, symbol, frame, params))
        except Exception as exc:  # graceful degradation: record the failure on the symbol's decision
            logger.warning("evaluation of %s:%s failed: %s", venue, symbol, exc)
            decisions.append(error_decision(venue, symbol, f"{type(exc).__name__}: {exc}"))
    return decisions


def evaluate_job(job: EvaluationJob, params: StrategyParams) -> list[Decision]:
    """``evaluate_batch`` over an ``EvaluationJob``: the function to map over batches on Dask."""
    return evaluate_batch(job.path, list(job.pairs), params)
