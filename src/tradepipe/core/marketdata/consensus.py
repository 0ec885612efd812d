"""Candle consensus across sources: per-bar median, outlier rejection, per-candle provenance.

For every bar time, each source's close is compared with the median usable close of all sources that have the
bar. A source more than ``threshold_bps`` away, or with no usable close (NaN, infinite or not positive), disagrees.
The bar kept is the primary's when it agrees, else the agreeing source closest to the median, so a bar without a
usable close is taken from a source that has one; a bar no source has a usable close for is kept as is (the quality
gate quarantines it). With two usable sources that disagree nobody can say who is right, so the primary's bar is
kept and the bar is flagged. The provenance frame records, per candle, the source
used, how many sources had it and agreed, and those that disagreed by how much; the ``ConsensusFinding`` is the
summary the quality gate reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from tradepipe.core.marketdata.schema import CANDLE_SCHEMA, OHLCV_COLUMNS

PROVENANCE_SCHEMA: dict[str, pl.DataType] = {
    "venue": pl.String(),
    "symbol": pl.String(),
    "timestamp": pl.Int64(),
    "source": pl.String(),
    "sources": pl.Int32(),  # sources that had the bar
    "agreeing": pl.Int32(),  # of them, within the threshold of the median
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


Window = pl.DataFrame | np.ndarray  # a source's candles: a frame, or an (n, 6) array of ts, o, h, l, c, v


def reconcile(
    venue: str, symbol: str, primary: str, windows: Mapping[str, Window], policy: ConsensusPolicy
) -> tuple[pl.DataFrame, pl.DataFrame, ConsensusFinding | None]:
    """(candles labelled ``venue``, provenance, finding or None when all sources agreed) from per-source windows."""
    candles, provenance, findings = reconcile_many([((venue, symbol, primary), windows)], policy)
    return candles, provenance, findings[0] if findings else None


def reconcile_many(
    groups: Sequence[tuple[tuple[str, str, str], Mapping[str, Window]]], policy: ConsensusPolicy
) -> tuple[pl.DataFrame, pl.DataFrame, list[ConsensusFinding]]:
    """``reconcile`` for many (venue, symbol, primary) groups at once: one vectorised pass per batch.

    Groups and sources are integer ids inside the pass; names are joined back on the (small) outputs.
    """
    stacked, names, sources = _stack(groups)
    if stacked is None:
        return pl.DataFrame(schema=CANDLE_SCHEMA), pl.DataFrame(schema=PROVENANCE_SCHEMA), []
    bar = ["gid", "timestamp"]
    # no median (every source lacks a usable close) is not a disagreement: the quality gate judges such bars
    deviation = ((pl.col("usable") / pl.col("median") - 1).abs() * 10_000).fill_nan(0.0)
    scored = (
        stacked.with_columns(median=pl.col("usable").median().over(bar), n=pl.len().over(bar))
        .with_columns(
            dev_bps=pl.when(pl.col("median").is_null())
            .then(0.0)
            .when(pl.col("usable").is_null())
            .then(float("inf"))
            .otherwise(deviation)
        )
        .with_columns(agrees=(pl.col("dev_bps") <= policy.threshold_bps) | (pl.col("n") == 1))
    )
    # per bar: the primary if it agrees, else the agreeing source closest to the median, else the primary
    chosen = (
        scored.sort([*bar, "agrees", "is_primary", "dev_bps"], descending=[False, False, True, True, False])
        .group_by(bar, maintain_order=True)
        .first()
    )
    candles = chosen.join(names, on="gid").select(
        "venue", "symbol", "timestamp", "open", "high", "low", "close", "volume"
    )
    return candles, _provenance(scored, chosen, names, sources), _findings(scored, chosen, names, sources)


def _stack(
    groups: Sequence[tuple[tuple[str, str, str], Mapping[str, Window]]],
) -> tuple[pl.DataFrame | None, pl.DataFrame, pl.DataFrame]:
    """One numeric frame (gid, sid, is_primary, candles) plus the gid → (venue, symbol) and sid → source maps."""
    source_ids: dict[str, int] = {}
    blocks: list[np.ndarray] = []
    gid: list[np.ndarray] = []
    sid: list[np.ndarray] = []
    primary: list[np.ndarray] = []
    for g, ((_, _, first), windows) in enumerate(groups):
        for source, window in windows.items():
            rows = window if isinstance(window, np.ndarray) else window.select(OHLCV_COLUMNS).to_numpy()
            k = source_ids.setdefault(source, len(source_ids))
            blocks.append(rows)
            gid.append(np.full(len(rows), g, np.int32))
            sid.append(np.full(len(rows), k, np.int32))
            primary.append(np.full(len(rows), source == first))
    names = pl.DataFrame(
        {
            "gid": np.arange(len(groups), dtype=np.int32),
            "venue": [k[0] for k, _ in groups],
            "symbol": [k[1] for k, _ in groups],
        }
    )
    sources = pl.DataFrame({"sid": np.arange(len(source_ids), dtype=np.int32), "source": list(source_ids)})
    if not blocks:
        return None, names, sources
    data = np.concatenate(blocks)
    columns = {name: data[:, i] for i, name in enumerate(OHLCV_COLUMNS)}
    columns["timestamp"] = data[:, 0].astype(np.int64)
    stacked = pl.DataFrame(
        {"gid": np.concatenate(gid), "sid": np.concatenate(sid), "is_primary": np.concatenate(primary), **columns}
    ).with_columns(usable=pl.when(pl.col("close").is_finite() & (pl.col("close") > 0)).then(pl.col("close")))
    return stacked, names, sources


def _provenance(scored: pl.DataFrame, chosen: pl.DataFrame, names: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Per candle: the source used, how many sources had the bar and agreed, the worst deviation, and who
    disagreed by how much (detail strings only for the few bars with a disagreement)."""
    bar = ["gid", "timestamp"]
    per_bar = scored.group_by(bar).agg(
        pl.len().cast(pl.Int32).alias("sources"),
        pl.col("agrees").sum().cast(pl.Int32).alias("agreeing"),
        pl.col("dev_bps").max().alias("max_dev_bps"),
    )
    detail = (
        scored.filter(~pl.col("agrees"))
        .join(sources, on="sid")
        .group_by(bar)
        .agg(pl.format("{}:{}", pl.col("source"), pl.col("dev_bps").round(1)).sort().str.join(",").alias("disagreeing"))
    )
    return (
        chosen.select(*bar, "sid")
        .join(per_bar, on=bar)
        .join(detail, on=bar, how="left")
        .join(names, on="gid")
        .join(sources, on="sid")
        .with_columns(pl.col("disagreeing").fill_null(""))
        .select(list(PROVENANCE_SCHEMA))
        .cast(PROVENANCE_SCHEMA)  # type: ignore[arg-type]
    )


def _findings(
    scored: pl.DataFrame, chosen: pl.DataFrame, names: pl.DataFrame, sources: pl.DataFrame
) -> list[ConsensusFinding]:
    bad = scored.filter((pl.col("n") > 1) & ~pl.col("agrees"))
    if bad.is_empty():
        return []
    compared = (
        scored.filter(pl.col("n") > 1)
        .join(sources, on="sid")
        .group_by("gid")
        .agg(pl.col("timestamp").n_unique().alias("compared"), pl.col("source").unique().sort().alias("sources"))
    )
    worst = (
        bad.join(sources, on="sid")
        .sort("dev_bps", descending=True)
        .group_by("gid", maintain_order=True)
        .agg(
            pl.col("timestamp").n_unique().alias("disagreeing"),
            pl.col("dev_bps").first().alias("worst_bps"),
            pl.col("timestamp").first().alias("worst_ts"),
            pl.col("source").first().alias("worst_source"),
        )
    )
    had_primary = scored.filter(pl.col("is_primary")).select("gid", "timestamp")
    replaced = (
        chosen.filter(~pl.col("is_primary")).join(had_primary, on=["gid", "timestamp"]).group_by("gid").len("replaced")
    )
    rows = (
        worst.join(compared, on="gid")
        .join(replaced, on="gid", how="left")
        .join(names, on="gid")
        .sort("gid")
        .iter_rows(named=True)
    )
    return [
        ConsensusFinding(
            venue=r["venue"],
            symbol=r["symbol"],
            sources=tuple(r["sources"]),
            bars_compared=int(r["compared"]),
            bars_disagreeing=int(r["disagreeing"]),
            worst_bps=float(r["worst_bps"]),
            worst_timestamp=int(r["worst_ts"]),
            worst_source=str(r["worst_source"]),
            replaced=int(r["replaced"] or 0),
        )
        for r in rows
    ]
