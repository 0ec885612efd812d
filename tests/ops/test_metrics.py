"""Run metrics: percentiles, per-stage stats over a window, business figures from planted facts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradepipe.core.reporting.metrics import (
    StageSample,
    TradingFacts,
    drawdown,
    percentile,
    run_metrics,
    slippage_bps,
    stage_stats,
)


@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=60), st.floats(0, 1))
def test_percentile_matches_numpys_linear_interpolation(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q * 100)), rel=1e-9, abs=1e-9)


def test_percentile_of_nothing_is_nan_and_q_is_checked() -> None:
    assert math.isnan(percentile([], 0.5))
    with pytest.raises(ValueError, match="q must be in"):
        percentile([1.0], 1.5)


def test_stage_stats_per_stage_over_the_window() -> None:
    samples = [StageSample(f"r{i}", "fetch", "ok", float(i)) for i in range(1, 21)]
    samples += [StageSample("r1", "gate", "failed", 2.0), StageSample("r2", "gate", "ok", 4.0, attempts=3)]
    fetch, gate = stage_stats(samples)
    assert (fetch.stage, fetch.runs, fetch.p50, fetch.p95, fetch.error_rate) == ("fetch", 20, 10.5, 19.05, 0.0)
    assert (gate.runs, gate.p50, gate.error_rate, gate.retries) == (2, 3.0, 0.5, 2)


def test_drawdown_from_the_running_peak() -> None:
    assert drawdown([100.0, 120.0, 90.0]) == pytest.approx(0.25)
    assert drawdown([100.0, 120.0]) == 0.0 and drawdown([]) == 0.0


def test_slippage_is_positive_when_adverse() -> None:
    assert slippage_bps("buy", 100.0, 100.5) == pytest.approx(50.0)
    assert slippage_bps("sell", 100.0, 99.0) == pytest.approx(100.0)
    assert slippage_bps("sell", 100.0, 101.0) == pytest.approx(-100.0)


def test_run_metrics_from_planted_facts() -> None:
    window = [StageSample("r1", "fetch", "ok", 1.0), StageSample("r2", "fetch", "failed", 3.0, attempts=2)]
    facts = TradingFacts(
        signals=4, orders=4, filled_orders=3, slippage_bps=(10.0, 20.0), realised_pnl=12.5, unrealised_pnl=-2.5,
        gross_exposure=2_500.0, equity=10_000.0, equity_history=(10_000.0, 12_500.0), closed_trades=4,
        winning_trades=3, cache_hits=1, batches=4, peak_rss_bytes=512 * 1024 * 1024, reconciliation_diffs=2,
    )  # fmt: skip
    metrics = {(m.name, m.label): m.value for m in run_metrics(facts, window, window[1:])}
    assert metrics[("stage_latency_p50_seconds", "fetch")] == 2.0
    assert metrics[("stage_error_rate", "fetch")] == 0.5
    assert metrics[("stage_retries", "fetch")] == 1 and metrics[("retries", "")] == 1
    assert metrics[("stage_failures", "")] == 1 and metrics[("error_rate", "")] == 0.5
    assert metrics[("fill_rate", "")] == 0.75 and metrics[("slippage_bps", "")] == 15.0
    assert metrics[("cache_hit_rate", "")] == 0.25 and metrics[("peak_rss_mib", "")] == 512.0
    assert metrics[("exposure", "")] == 0.25 and metrics[("drawdown", "")] == pytest.approx(0.2)
    assert metrics[("trade_success_rate", "")] == 0.75 and metrics[("reconciliation_diffs", "")] == 2
    assert metrics[("pnl_realised", "")] == 12.5 and metrics[("pnl_unrealised", "")] == -2.5


def test_empty_run_has_zero_rates_not_errors() -> None:
    metrics = {(m.name, m.label): m.value for m in run_metrics(TradingFacts(), [], [])}
    assert metrics[("fill_rate", "")] == 0.0 and metrics[("cache_hit_rate", "")] == 0.0
    assert metrics[("error_rate", "")] == 0.0 and metrics[("drawdown", "")] == 0.0
