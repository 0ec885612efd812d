"""Backtest speed: candles replayed per second through the cycle's engine, risk planner and exit rules.

One candle = one symbol's bar: fills at its open, marks and exit rules at its close, the engine's evaluation of
its ``history_bars`` window and the risk planner. The data are the sim market's bars (3 symbols, seed 42).
There is no vectorbt peer: it is not installed (no package added), so ``.vectorbt`` and the speedup are absent.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

from bench.records import record
from tradepipe.config import Settings
from tradepipe.core.backtest import run_backtest
from tradepipe.stages import backtest as stage


def run(quick: bool) -> list[dict[str, Any]]:
    bars, symbols, repeats = (150, 2, 1) if quick else (1_000, 3, 3)
    settings = Settings(seed=42, state_dir="/tmp/tradepipe-bench-backtest")
    venue, series, rules = stage.load_history(settings, bars, symbols)
    cfg = stage.config(settings)
    head = cfg.spec.min_bars + 10
    warm = [
        replace(s, columns={k: v[:head] for k, v in s.columns.items()}, timestamp=s.timestamp[:head]) for s in series
    ]
    run_backtest(warm, rules, cfg)  # numba compiles and imports before timing
    best = float("inf")
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run_backtest(series, rules, cfg)
        best = min(best, time.perf_counter() - started)
    assert result is not None
    candles = len(result.equity) * len(series)
    params = {
        "venue": venue, "symbols": len(series), "bars": len(result.equity), "window": cfg.window,
        "trades": len(result.trades), "repeats": repeats, "seconds": round(best, 4),
        "peer": "none: vectorbt is not installed and no package was added", "load_avg_1m": round(os.getloadavg()[0], 2),
    }  # fmt: skip
    return [record("backtest.candles_per_s.ours", candles / best, "candles/s", True, **params)]
