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

from tradepipe.core.marketdata.schema import CANDLE_SCHEMA
from tradepipe.core.strategy.cache import EvaluationCache
from tradepipe.core.strategy.engine import EngineSpec, SymbolCandles, evaluate_symbols
from tradepipe.domain.strategy import Decision, Direction
from tradepipe.errors import DataQualityError

logger = logging.getLogger(__name__)

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


def read_candles(path: str) -> pl.DataFrame:
    """A candle file cast to the candle schema, rows grouped by (venue, symbol) with file order kept inside a
    group; polars nulls in prices and volume become NaN (gaps), explicitly.

    The whole file is read: a batch file holds about the pairs asked for, and reading it (~2 ms for 50k
    rows) is cheaper than filtering string columns in the scan. Raises ``DataQualityError`` when the file
    cannot be read or lacks a candle column.
    """
    try:
        frame = (
            pl.read_parquet(path, columns=list(CANDLE_SCHEMA))
            .select([pl.col(name).cast(dtype) for name, dtype in CANDLE_SCHEMA.items()])
            .with_columns(pl.col(*PRICE_COLUMNS, "volume").fill_null(float("nan")))
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataQualityError(f"cannot read candles from {path}: {exc}") from exc
    if len(_runs(frame)[0]) != frame.select("venue", "symbol").n_unique():
        frame = frame.sort("venue", "symbol", maintain_order=True)  # interleaved pairs: group them
    return frame


def _runs(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Start and end rows of each run of equal (venue, symbol)."""
    if frame.height == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    run_id = frame.select(pl.struct("venue", "symbol").rle_id())[:, 0].to_numpy()
    starts = np.concatenate(([0], np.flatnonzero(np.diff(run_id)) + 1))
    return starts, np.append(starts[1:], frame.height)


def _groups(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[int, int]]:
    """(venue, symbol) -> [start, end) rows of a frame grouped by (venue, symbol)."""
    starts, ends = _runs(frame)
    venues, symbols = frame["venue"].gather(starts).to_list(), frame["symbol"].gather(starts).to_list()
    return {(v, s): (int(a), int(b)) for v, s, a, b in zip(venues, symbols, starts, ends, strict=True)}


def symbol_candles(
    venue: str, symbol: str, columns: dict[str, np.ndarray], ts: np.ndarray, quality: float = 1.0
) -> SymbolCandles:
    """One symbol's candles, checked: raises ``DataQualityError`` for unsorted or duplicate timestamps and
    non-positive prices (NaN prices are gaps, not errors)."""
    if ts.size > 1 and not bool(np.all(np.diff(ts) > 0)):
        raise DataQualityError("timestamps are not strictly increasing (unsorted or duplicate bars)")
    for name in PRICE_COLUMNS:
        if bool(np.any(columns[name] <= 0)):
            raise DataQualityError(f"{name} has non-positive prices")
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
    frame = read_candles(path)
    groups = _groups(frame)
    flat = {name: frame[name].to_numpy() for name in ("timestamp", *PRICE_COLUMNS, "volume")}
    scores = list(quality) or [1.0] * len(pairs)
    items: list[SymbolCandles] = []
    slots: list[Decision | int] = []
    for (venue, symbol), q in zip(pairs, scores, strict=True):
        rows = groups.get((venue, symbol))
        if rows is None:
            slots.append(error_decision(venue, symbol, f"no candles for {venue}:{symbol} in {path}"))
            continue
        a, b = rows
        columns = {name: flat[name][a:b] for name in (*PRICE_COLUMNS, "volume")}
        try:
            items.append(symbol_candles(venue, symbol, columns, flat["timestamp"][a:b], q))
            slots.append(len(items) - 1)
        except DataQualityError as exc:
            logger.warning("candles of %s:%s rejected: %s", venue, symbol, exc)
            slots.append(error_decision(venue, symbol, f"DataQualityError: {exc}"))
    evaluated = evaluate_symbols(items, spec, cache)
    return [evaluated[s] if isinstance(s, int) else s for s in slots]


def evaluate_job(job: EvaluationJob, spec: EngineSpec, cache: EvaluationCache | None = None) -> list[Decision]:
    """``evaluate_batch`` over an ``EvaluationJob``: the function to map over batches on Dask."""
    return evaluate_batch(job.path, job.pairs, spec, cache, job.quality)
