"""The fast tier: polars checks per (venue, symbol) on a batch of candles, one pass of ``group_by``.

Checks (name → what fails it): ``nan_values`` NaN/null/±inf in a price or the volume; ``non_positive_price``
a price ≤ 0; ``ohlc_inconsistent`` low ≤ open, close ≤ high fails; ``negative_volume``;
``duplicate_or_unordered`` a timestamp repeats or goes back; ``gap`` a step longer than the timeframe;
``stale`` the newest bar is more than ``stale_bars`` bars old; ``short_history`` (completeness) fewer than
``min_bars`` bars; ``spike`` a log return whose robust z-score ``|r − median(r)| / (1.4826·MAD(r))`` exceeds
``spike_z``; ``zero_volume_run`` ``zero_volume_bars`` or more consecutive bars with volume 0;
``consensus_disagreement`` a finding handed over by the fetch stage. Score and verdict: ``score.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from tradepipe.clock import timeframe_ms
from tradepipe.core.marketdata.schema import CANDLE_SCHEMA
from tradepipe.core.quality.score import QualityRules, judge
from tradepipe.domain.quality import QualityIssue, QualityReport

MAD_TO_SIGMA = 1.4826  # MAD of a normal sample × this = its standard deviation
MIN_MAD = 1e-12  # a flat series has MAD 0: any move in it counts as a spike


def schema_problem(frame: pl.DataFrame) -> str | None:
    """Why ``frame`` is not a candle batch (missing column, wrong type, null key), or None."""
    for name, dtype in CANDLE_SCHEMA.items():
        if name not in frame.schema:
            return f"column {name!r} is missing (columns: {list(frame.columns)})"
        if frame.schema[name] != dtype:
            return f"column {name!r} has type {frame.schema[name]}, expected {dtype}"
    for name in ("venue", "symbol", "timestamp"):  # the keys of every check: a null key cannot be judged
        if nulls := frame[name].null_count():
            return f"column {name!r} has {nulls} null values"
    return None


def per_symbol_stats(frame: pl.DataFrame, step: int, spike_z: float) -> pl.DataFrame:
    """One row of defect counts per (venue, symbol), sorted.

    Vectorised: rows get a hashed group id and are sorted by (venue, symbol, timestamp) once, so every check is a plain
    column expression and the group-by only sums (``.over`` serves the two medians).
    """
    prices = ["open", "high", "low", "close"]
    gid = pl.col("gid")
    first = (gid != gid.shift()).fill_null(True)  # first row of its group (rows sorted by group)
    keyed = frame.with_columns(gid=pl.struct("venue", "symbol").hash())
    unordered = keyed.group_by("gid").agg(unordered=(pl.col("timestamp").diff() <= 0).sum())  # original order
    close = pl.col("close")
    log_close = pl.when(close > 0).then(close).log()
    ret = pl.when(~first).then(log_close - log_close.shift())
    zero = (pl.col("volume") == 0).fill_null(False)
    rows = (
        keyed.sort("venue", "symbol", "timestamp")  # fast on store batches, which come sorted
        .with_columns(
            nan=pl.any_horizontal(
                [pl.col(c).is_nan() | pl.col(c).is_null() | pl.col(c).is_infinite() for c in [*prices, "volume"]]
            ),
            non_positive=pl.any_horizontal([pl.col(c) <= 0 for c in prices]),
            ohlc_bad=(
                (pl.col("high") < pl.col("low"))
                | (pl.col("high") < pl.max_horizontal("open", "close"))
                | (pl.col("low") > pl.min_horizontal("open", "close"))
            ).fill_null(False),
            gap=(pl.col("timestamp").diff() > step) & ~first,  # sorted: a swap is not a gap
            ret=pl.when(ret.is_finite()).then(ret),  # NaN/inf → null, ignored by the medians
            zeros=zero.cast(pl.Int64).cum_sum(),
            run_start=first | ~zero,
        )
        .with_columns(
            deviation=(pl.col("ret") - pl.col("ret").median().over("gid")).abs(),
            zero_run=pl.col("zeros")
            - pl.when(pl.col("run_start")).then(pl.col("zeros") - zero.cast(pl.Int64)).forward_fill(),
        )
        .with_columns(
            z=pl.col("deviation") / pl.max_horizontal(pl.col("deviation").median().over("gid") * MAD_TO_SIGMA, MIN_MAD)
        )
    )
    return (
        rows.group_by("gid")
        .agg(
            venue=pl.col("venue").first(),
            symbol=pl.col("symbol").first(),
            rows=pl.len(),
            nan_rows=pl.col("nan").sum(),
            non_positive=pl.col("non_positive").sum(),
            ohlc_bad=pl.col("ohlc_bad").sum(),
            negative_volume=(pl.col("volume") < 0).sum(),
            gaps=pl.col("gap").sum(),
            last_ts=pl.col("timestamp").max(),
            spikes=(pl.col("z") > spike_z).sum(),
            max_z=pl.col("z").max(),
            zero_volume_run=pl.col("zero_run").max(),
        )
        .join(unordered, on="gid")
        .drop("gid")
        .sort("venue", "symbol")
    )


def assess_frame(
    frame: pl.DataFrame,
    *,
    timeframe: str,
    as_of_ms: int,
    rules: QualityRules,
    consensus: Mapping[tuple[str, str], str] | None = None,
) -> list[QualityReport]:
    """One ``QualityReport`` per (venue, symbol) in ``frame``; ``consensus`` maps a pair to a fetch finding."""
    step = timeframe_ms(timeframe)
    newest_expected = as_of_ms - step  # open time of the last closed bar
    consensus = consensus or {}
    reports = []
    for row in per_symbol_stats(frame, step, rules.spike_z).iter_rows(named=True):
        issues = [
            QualityIssue(check, f"{count} {what}")
            for check, count, what in (
                ("nan_values", row["nan_rows"], "bars with NaN, null or infinite values"),
                ("non_positive_price", row["non_positive"], "bars with a price ≤ 0"),
                ("ohlc_inconsistent", row["ohlc_bad"], "bars where low ≤ open,close ≤ high fails"),
                ("negative_volume", row["negative_volume"], "bars with negative volume"),
                ("duplicate_or_unordered", row["unordered"], "duplicate or out-of-order timestamps"),
                ("gap", row["gaps"], f"gaps longer than one {timeframe} bar"),
            )
            if count
        ]
        lag_bars = (newest_expected - row["last_ts"]) // step
        if lag_bars > rules.stale_bars:
            issues.append(QualityIssue("stale", f"last candle is {lag_bars} bars old (limit {rules.stale_bars})"))
        if row["rows"] < rules.min_bars:
            issues.append(QualityIssue("short_history", f"{row['rows']} bars < {rules.min_bars} wanted"))
        if row["spikes"]:
            issues.append(
                QualityIssue(
                    "spike", f"{row['spikes']} returns with robust z > {rules.spike_z:g} (max {row['max_z']:.1f})"
                )
            )
        if row["zero_volume_run"] >= rules.zero_volume_bars:
            issues.append(
                QualityIssue("zero_volume_run", f"{row['zero_volume_run']} consecutive bars with zero volume")
            )
        if (finding := consensus.get((row["venue"], row["symbol"]))) is not None:
            issues.append(QualityIssue("consensus_disagreement", finding))
        reports.append(judge(row["venue"], row["symbol"], issues, rules))
    return reports
