"""Candle consensus across sources: per-bar median, outlier rejection, per-candle provenance.

For every bar time, each source's close is compared with the median close of all sources that have the bar.
A source more than ``threshold_bps`` away (or with no usable close) disagrees. The bar kept is the primary's when
it agrees, else the agreeing source closest to the median; with two sources that disagree nobody can say who is
right, so the primary's bar is kept and the bar is flagged. The provenance frame records, per candle, the source
used, the sources that agreed and those that disagreed with their deviation; the ``ConsensusFinding`` is the
summary the quality gate reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

CANDLE_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
PROVENANCE_SCHEMA: dict[str, pl.DataType] = {
    "venue": pl.String(),
    "symbol": pl.String(),
    "timestamp": pl.Int64(),
    "source": pl.String(),
    "sources": pl.Int32(),
    "agreeing": pl.String(),
    "disagreeing": pl.String(),  # "source:bps" pairs, comma-separated
    "max_dev_bps": pl.Float64(),
}


@dataclass(frozen=True, slots=True)
class ConsensusPolicy:
    threshold_bps: float = 50.0
    max_sources: int = 2  # sources consulted per symbol (1 = no consensus)


@dataclass(frozen=True, slots=True)
class ConsensusFinding:
    """Disagreement between sources for one (venue, symbol) in one fetch: data for the quality gate."""

    venue: str
    symbol: str
    sources: tuple[str, ...]
    bars_compared: int
    bars_disagreeing: int
    worst_bps: float
    worst_timestamp: int
    worst_source: str
    replaced: int  # bars taken from another source because the primary disagreed


def reconcile(
    venue: str, symbol: str, primary: str, windows: Mapping[str, pl.DataFrame], policy: ConsensusPolicy
) -> tuple[pl.DataFrame, pl.DataFrame, ConsensusFinding | None]:
    """(candles labelled ``venue``, provenance, finding or None when all sources agreed) from per-source windows.

    Each window has the candle columns (timestamp, open, high, low, close, volume) of one source.
    """
    parts = [w.select(*CANDLE_COLUMNS).with_columns(source=pl.lit(s)) for s, w in windows.items()]
    stacked = pl.concat(parts).with_columns(pl.col("close").fill_nan(None))
    med = stacked.group_by("timestamp").agg(pl.col("close").median().alias("median"), pl.len().alias("n"))
    # no median (every source lacks a usable close) is not a disagreement: the quality gate judges such bars
    deviation = ((pl.col("close") / pl.col("median") - 1).abs() * 10_000).fill_nan(0.0)
    scored = stacked.join(med, on="timestamp").with_columns(
        dev_bps=pl.when(pl.col("median").is_null())
        .then(0.0)
        .when(pl.col("close").is_null())
        .then(float("inf"))
        .otherwise(deviation),
        is_primary=pl.col("source") == primary,
    )
    scored = scored.with_columns(agrees=(pl.col("dev_bps") <= policy.threshold_bps) | (pl.col("n") == 1))
    # choose per bar: the primary if it agrees, else the agreeing source closest to the median, else the primary
    chosen = (
        scored.sort(
            ["timestamp", "agrees", "is_primary", "dev_bps"], descending=[False, True, True, False], nulls_last=True
        )
        .group_by("timestamp", maintain_order=True)
        .first()
    )
    candles = chosen.select(
        pl.lit(venue).alias("venue"),
        pl.lit(symbol).alias("symbol"),
        "timestamp",
        "open",
        "high",
        "low",
        pl.col("close").fill_null(float("nan")),
        "volume",
    ).sort("timestamp")
    provenance = _provenance(venue, symbol, scored, chosen)
    return candles, provenance, _finding(venue, symbol, primary, tuple(windows), scored, chosen)


def _provenance(venue: str, symbol: str, scored: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    per_bar = scored.group_by("timestamp").agg(
        pl.len().cast(pl.Int32).alias("sources"),
        pl.col("source").filter(pl.col("agrees")).sort().str.join(",").alias("agreeing"),
        pl.format("{}:{}", pl.col("source"), pl.col("dev_bps").round(1))
        .filter(~pl.col("agrees"))
        .sort()
        .str.join(",")
        .alias("disagreeing"),
        pl.col("dev_bps").max().alias("max_dev_bps"),
    )
    return (
        chosen.select("timestamp", "source")
        .join(per_bar, on="timestamp")
        .with_columns(venue=pl.lit(venue), symbol=pl.lit(symbol))
        .select(list(PROVENANCE_SCHEMA))
        .cast(PROVENANCE_SCHEMA)  # type: ignore[arg-type]
        .sort("timestamp")
    )


def _finding(
    venue: str, symbol: str, primary: str, sources: tuple[str, ...], scored: pl.DataFrame, chosen: pl.DataFrame
) -> ConsensusFinding | None:
    multi = scored.filter(pl.col("n") > 1)
    bad = multi.filter(~pl.col("agrees"))
    if bad.is_empty():
        return None
    worst = bad.sort("dev_bps", descending=True).row(0, named=True)
    return ConsensusFinding(
        venue=venue,
        symbol=symbol,
        sources=sources,
        bars_compared=multi["timestamp"].n_unique(),
        bars_disagreeing=bad["timestamp"].n_unique(),
        worst_bps=float(worst["dev_bps"]),
        worst_timestamp=int(worst["timestamp"]),
        worst_source=str(worst["source"]),
        replaced=chosen.filter(pl.col("source") != primary)
        .join(scored.filter(pl.col("is_primary")).select("timestamp"), on="timestamp")
        .height,
    )


def single_source(venue: str, symbol: str, source: str, window: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Candles and provenance when only one source has the symbol."""
    candles = window.select(pl.lit(venue).alias("venue"), pl.lit(symbol).alias("symbol"), *CANDLE_COLUMNS)
    provenance = window.select(
        pl.lit(venue).alias("venue"),
        pl.lit(symbol).alias("symbol"),
        "timestamp",
        pl.lit(source).alias("source"),
        pl.lit(1, dtype=pl.Int32).alias("sources"),
        pl.lit(source).alias("agreeing"),
        pl.lit("").alias("disagreeing"),
        pl.lit(0.0).alias("max_dev_bps"),
    )
    return candles, provenance
