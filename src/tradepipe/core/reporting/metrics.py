"""Operational and business metrics of a run: pure functions over facts the report stage gathers.

Per-stage latency percentiles and error rates are taken over a window of recent runs (``stage_runs``);
everything else describes the run itself. Metric names are Prometheus-style (the exporter adds the
``tradepipe_`` prefix); ``label`` carries the stage of a per-stage metric.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StageSample:
    """One row of ``stage_runs``."""

    run_id: str
    stage: str
    status: str  # ok | failed
    seconds: float
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class StageStats:
    stage: str
    runs: int
    p50: float
    p95: float
    error_rate: float
    retries: int


@dataclass(frozen=True, slots=True)
class TradingFacts:
    """What the ledger and the run's reports say; gathered by ``stages/report.py``."""

    signals: int = 0
    orders: int = 0
    filled_orders: int = 0
    slippage_bps: tuple[float, ...] = ()  # per fill of this run; positive = paid more than the reference
    realised_pnl: float = 0.0
    unrealised_pnl: float = 0.0
    gross_exposure: float = 0.0  # sum of |amount x mark| of open positions
    equity: float = 0.0
    equity_history: tuple[float, ...] = ()  # earlier runs, oldest first (this run's equity is added)
    closed_trades: int = 0
    winning_trades: int = 0
    cache_hits: int = 0
    batches: int = 0
    peak_rss_bytes: int = 0
    reconciliation_diffs: int = 0


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    value: float
    label: str = ""


HELP: dict[str, str] = {
    "stage_latency_p50_seconds": "median stage wall time over the recent runs",
    "stage_latency_p95_seconds": "95th percentile stage wall time over the recent runs",
    "stage_error_rate": "failed / all stage runs over the recent runs",
    "stage_seconds": "stage wall time in the last run (all attempts)",
    "stage_retries": "extra attempts of the stage in the last run",
    "error_rate": "failed / all stage runs over the recent runs, every stage",
    "retries": "extra stage attempts in the last run",
    "stage_failures": "stages that failed in the last run",
    "cache_hit_rate": "fetch batches served from the candle cache / all batches",
    "peak_rss_mib": "peak resident memory of the process that ran the cycle",
    "signals": "long signals in the last run",
    "orders": "orders placed in the last run",
    "fill_rate": "orders filled / orders placed in the last run",
    "slippage_bps": "mean fill price vs the reference price, basis points (positive = adverse)",
    "pnl_realised": "realised profit and loss, all time, quote currency",
    "pnl_unrealised": "unrealised profit and loss of the open positions at the marks",
    "exposure": "gross value of the open positions / equity",
    "equity": "equity after the last run",
    "drawdown": "fall of equity from its peak",
    "trade_success_rate": "closed trades with positive realised P&L / closed trades",
    "reconciliation_diffs": "differences reconcile left in the last run",
}


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q}")
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_stats(samples: Iterable[StageSample]) -> list[StageStats]:
    """Latency percentiles, error rate and retries per stage, stages in first-seen order."""
    by_stage: dict[str, list[StageSample]] = defaultdict(list)
    for sample in samples:
        by_stage[sample.stage].append(sample)
    return [
        StageStats(
            stage=stage,
            runs=len(rows),
            p50=percentile([r.seconds for r in rows], 0.5),
            p95=percentile([r.seconds for r in rows], 0.95),
            error_rate=sum(r.status != "ok" for r in rows) / len(rows),
            retries=sum(r.attempts - 1 for r in rows),
        )
        for stage, rows in by_stage.items()
    ]


def drawdown(history: Sequence[float]) -> float:
    """Fall of the last value from the running peak, as a fraction of the peak (0 when at a peak)."""
    if not history:
        return 0.0
    peak = max(history)
    return 0.0 if peak <= 0 else max(0.0, (peak - history[-1]) / peak)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def run_metrics(facts: TradingFacts, window: Sequence[StageSample], run: Sequence[StageSample]) -> list[Metric]:
    """Every metric of a run: per-stage stats over ``window``, this ``run``'s stages, and the business figures."""
    history = (*facts.equity_history, facts.equity)
    return [
        *operational_metrics(window, run, facts.peak_rss_bytes),
        Metric("cache_hit_rate", _ratio(facts.cache_hits, facts.batches)),
        Metric("signals", facts.signals),
        Metric("orders", facts.orders),
        Metric("fill_rate", _ratio(facts.filled_orders, facts.orders)),
        Metric("slippage_bps", _ratio(sum(facts.slippage_bps), len(facts.slippage_bps))),
        Metric("pnl_realised", facts.realised_pnl),
        Metric("pnl_unrealised", facts.unrealised_pnl),
        Metric("exposure", _ratio(facts.gross_exposure, facts.equity)),
        Metric("equity", facts.equity),
        Metric("drawdown", drawdown(history)),
        Metric("trade_success_rate", _ratio(facts.winning_trades, facts.closed_trades)),
        Metric("reconciliation_diffs", facts.reconciliation_diffs),
    ]


def operational_metrics(window: Sequence[StageSample], run: Sequence[StageSample], peak_rss: int) -> list[Metric]:
    """Stage latency, errors, retries and memory: all a run that failed before its report can say."""
    metrics: list[Metric] = []
    for s in stage_stats(window):
        metrics += [
            Metric("stage_latency_p50_seconds", s.p50, s.stage),
            Metric("stage_latency_p95_seconds", s.p95, s.stage),
            Metric("stage_error_rate", s.error_rate, s.stage),
        ]
    for r in run:
        metrics += [Metric("stage_seconds", r.seconds, r.stage), Metric("stage_retries", r.attempts - 1, r.stage)]
    return [
        *metrics,
        Metric("error_rate", _ratio(sum(s.status != "ok" for s in window), len(window))),
        Metric("retries", sum(r.attempts - 1 for r in run)),
        Metric("stage_failures", sum(r.status != "ok" for r in run)),
        Metric("peak_rss_mib", peak_rss / MIB),
    ]


def slippage_bps(side: str, reference: float, price: float) -> float:
    """Adverse move of a fill from its reference price in basis points: buying higher or selling lower is positive."""
    if reference <= 0:
        return 0.0
    sign = 1.0 if side == "buy" else -1.0
    return sign * (price - reference) / reference * 10_000
