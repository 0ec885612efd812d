"""Fast polars checks per symbol, a score in [0, 1] and a verdict.

Score = max(0, 1 − Σ weight(check) for each failed check). Any failed check of weight 1 quarantines the
symbol; a lighter failure gives WARN (tradable at reduced size later); no failure gives PASS.
"""

from __future__ import annotations

import polars as pl

from tradepipe.clock import timeframe_ms
from tradepipe.domain.quality import QualityIssue, QualityReport, Verdict

CHECK_WEIGHTS: dict[str, float] = {
    "missing_data": 1.0,
    "nan_values": 1.0,
    "non_positive_price": 1.0,
    "ohlc_inconsistent": 1.0,
    "negative_volume": 1.0,
    "duplicate_or_unordered": 1.0,
    "gap": 1.0,
    "stale": 1.0,
    "corrupt_file": 1.0,
    "short_history": 0.3,
}


def _per_symbol_stats(frame: pl.DataFrame, step: int) -> pl.DataFrame:
    prices = ["open", "high", "low", "close"]
    bad_nan = pl.any_horizontal(
        [pl.col(c).is_nan() | pl.col(c).is_null() | pl.col(c).is_infinite() for c in [*prices, "volume"]]
    )
    ohlc_bad = (
        (pl.col("high") < pl.col("low"))
        | (pl.col("high") < pl.max_horizontal("open", "close"))
        | (pl.col("low") > pl.min_horizontal("open", "close"))
    )
    delta = pl.col("timestamp").diff()
    return (
        frame.group_by("venue", "symbol", maintain_order=True)
        .agg(
            rows=pl.len(),
            nan_rows=bad_nan.sum(),
            non_positive=pl.any_horizontal([pl.col(c) <= 0 for c in prices]).sum(),
            ohlc_bad=ohlc_bad.fill_null(False).sum(),
            negative_volume=(pl.col("volume") < 0).sum(),
            unordered=(delta <= 0).sum(),
            gaps=(delta > step).sum(),
            last_ts=pl.col("timestamp").max(),
        )
        .sort("venue", "symbol")
    )


def assess_frame(
    frame: pl.DataFrame, *, timeframe: str, as_of_ms: int, stale_bars: int, min_bars: int
) -> list[QualityReport]:
    """One ``QualityReport`` per (venue, symbol) in ``frame``."""
    step = timeframe_ms(timeframe)
    newest_expected = as_of_ms - step  # open time of the last closed bar
    reports = []
    for row in _per_symbol_stats(frame, step).iter_rows(named=True):
        issues = []
        for check, count, what in (
            ("nan_values", row["nan_rows"], "bars with NaN, null or infinite values"),
            ("non_positive_price", row["non_positive"], "bars with a price ≤ 0"),
            ("ohlc_inconsistent", row["ohlc_bad"], "bars where low ≤ open,close ≤ high fails"),
            ("negative_volume", row["negative_volume"], "bars with negative volume"),
            ("duplicate_or_unordered", row["unordered"], "duplicate or out-of-order timestamps"),
            ("gap", row["gaps"], f"gaps longer than one {timeframe} bar"),
        ):
            if count:
                issues.append(QualityIssue(check, f"{count} {what}"))
        lag_bars = (newest_expected - row["last_ts"]) // step
        if lag_bars > stale_bars:
            issues.append(QualityIssue("stale", f"last candle is {lag_bars} bars old (limit {stale_bars})"))
        if row["rows"] < min_bars:
            issues.append(QualityIssue("short_history", f"{row['rows']} bars < {min_bars} wanted"))
        reports.append(_report(row["venue"], row["symbol"], issues))
    return reports


def missing_report(venue: str, symbol: str, reason: str) -> QualityReport:
    return _report(venue, symbol, [QualityIssue("missing_data", reason)])


def _report(venue: str, symbol: str, issues: list[QualityIssue]) -> QualityReport:
    penalty = sum(CHECK_WEIGHTS[i.check] for i in issues)
    score = max(0.0, 1.0 - penalty)
    if any(CHECK_WEIGHTS[i.check] >= 1.0 for i in issues):
        verdict = Verdict.QUARANTINE
    elif issues:
        verdict = Verdict.WARN
    else:
        verdict = Verdict.PASS
    return QualityReport(venue, symbol, score, verdict, tuple(issues))
