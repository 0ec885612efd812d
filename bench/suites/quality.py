"""Quality-gate throughput per tier on the same candles: ``gate.candles_per_s.polars`` and ``gate.candles_per_s.gx``.

Data: the simulated market's 1,000 symbols × 1,000 one-hour bars (quick: 50 × 200), one venue, with the sim's
planted defects (every 25th symbol) so both the clean and the failing paths run. The polars tier is timed as
``assess_frame`` on the in-memory batch (group_by checks + building the per-symbol reports); the GX tier as the
adapter's ``validate`` on the same candles: ``to_pandas`` once, one checkpoint run of the 24-expectation OHLCV
suite with ``COMPLETE`` results (failed rows traced to their symbol), the stored validation result and the Data
Docs rebuild. GX's import and project setup are paid by an untimed warm-up run and reported as ``first_run_s``.
Each figure is the best of several runs. If a full-size GX run would exceed ``GX_BUDGET_S`` the GX tier is timed
on a subset of symbols and reported per candle (``measured_symbols`` says so).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from bench.records import record
from tradepipe.adapters.quality.frames import ohlcv_frame
from tradepipe.adapters.quality.runner import GxRunner
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import timeframe_ms
from tradepipe.core.marketdata.fetch import candle_frame
from tradepipe.core.quality import QualityRules, assess_frame
from tradepipe.domain.quality import Verdict

FULL = {"symbols": 1000, "bars": 1000, "polars_runs": 5, "gx_runs": 2}
QUICK = {"symbols": 50, "bars": 200, "polars_runs": 2, "gx_runs": 1}
GX_BUDGET_S = 60.0
TF = "1h"


def candles(symbols: int, bars: int) -> tuple[pl.DataFrame, int]:
    market = SimMarket(seed=7, history_bars=bars, future_bars=0, n_symbols=symbols, bad_data_every=25)
    frame = pl.concat([candle_frame("sim-bench", s, market.candles(s).tolist()) for s in market.symbols()])
    return frame, market.history_end_ms


def _best(fn: Any, runs: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(quick: bool) -> list[dict[str, Any]]:
    cfg = QUICK if quick else FULL
    frame, as_of = candles(cfg["symbols"], cfg["bars"])
    n_symbols = frame["symbol"].n_unique()
    rules = QualityRules(min_bars=min(cfg["bars"], 78))
    assess_frame(frame.head(10_000), timeframe=TF, as_of_ms=as_of, rules=rules)  # warm polars' kernels
    polars_s, reports = _best(
        lambda: assess_frame(frame, timeframe=TF, as_of_ms=as_of, rules=rules), cfg["polars_runs"]
    )
    quarantined = sum(r.verdict is Verdict.QUARANTINE for r in reports)
    base = {"symbols": n_symbols, "bars": cfg["bars"], "timeframe": TF, "candles": frame.height}
    results = [
        record(
            "gate.candles_per_s.polars",
            frame.height / polars_s,
            "candles/s",
            True,
            **base,
            seconds=round(polars_s, 4),
            runs=cfg["polars_runs"],
            quarantined=quarantined,
            step_ms=timeframe_ms(TF),
            note="assess_frame on the in-memory batch: every polars check plus the per-symbol reports; best of runs",
        )
    ]
    with tempfile.TemporaryDirectory(prefix="tradepipe-bench-gx-") as tmp:
        runner = GxRunner(Path(tmp) / "quality", keep_runs=4)
        first_started = time.perf_counter()
        runner.validate("ohlcv", ohlcv_frame(frame.head(2_000)), "warm-up")  # import GX, set the project up
        first_run_s = time.perf_counter() - first_started
        names = frame["symbol"].unique(maintain_order=True).to_list()
        probe = frame.filter(pl.col("symbol").is_in(names[:50]))
        probe_s, _ = _best(lambda: runner.validate("ohlcv", ohlcv_frame(probe), "probe"), 1)
        measured = frame
        if probe_s / probe.height * frame.height > GX_BUDGET_S:
            keep = max(50, int(GX_BUDGET_S / 3 / probe_s * 50))
            measured = frame.filter(
                pl.col("symbol").is_in(frame["symbol"].unique(maintain_order=True).head(keep).implicit())
            )
        counter = iter(range(1_000))
        gx_s, outcome = _best(
            lambda: runner.validate("ohlcv", ohlcv_frame(measured), f"bench-{next(counter)}"), cfg["gx_runs"]
        )
    if outcome is None or outcome.error:
        raise RuntimeError(f"GX tier failed in the benchmark: {outcome.error if outcome else 'no run'}")
    gx_rate = measured.height / gx_s
    results += [
        record(
            "gate.candles_per_s.gx",
            gx_rate,
            "candles/s",
            True,
            **base,
            measured_symbols=measured["symbol"].n_unique(),
            measured_candles=measured.height,
            seconds=round(gx_s, 4),
            runs=cfg["gx_runs"],
            expectations=len(outcome.outcomes),
            failed_expectations=len(outcome.failed),
            first_run_s=round(first_run_s, 3),
            note="GxRunner.validate: to_pandas once + one checkpoint run (24 expectations, COMPLETE results, "
            "validation result stored, Data Docs rebuilt); best of runs after a warm-up that pays the GX import",
        ),
        record(
            "gate.speedup_polars_vs_gx",
            (frame.height / polars_s) / gx_rate,
            "x",
            True,
            **base,
            note="polars tier candles/s over GX tier candles/s, same candles, same process",
        ),
    ]
    return results
