"""Strategy engine: the indicator set against TA-Lib, and full evaluation throughput on 1 process and on Dask.

* ``indicators.candles_per_s.ours`` / ``.talib`` / ``indicators.speedup_vs_talib``: the 22 outputs of the
  engine's indicator set (EMA x2, SMA, RSI, ATR, Bollinger x3, z-score, MACD x3, ADX, +DI, -DI, stoch %K/%D,
  OBV, VWAP, Donchian x2, volatility of log returns) on 1,000 symbols x 5,000 bars, the same arrays for both.
  Ours: ``indicator_set.compute`` over chunks of 2 symbols into one reused buffer, on one thread like TA-Lib
  (``.ours_threads`` / ``speedup_vs_talib.threads``: ``parallel=True``, symbols over numba's threads, 2 here;
  on a busy shared machine this measures the neighbours). TA-Lib: one call per function per symbol
  (VWAP from TA-Lib's SUM and TYPPRICE, volatility from STDDEV of numpy log returns, z-score from SMA and
  STDDEV). Minimum of 3
  runs each; numba's compile (or cache load) is excluded from the timing and reported as
  ``indicators.jit_compile_s``.
* ``evaluate.symbols_per_min.1proc`` / ``.dask2``: ``evaluate_job`` (read parquet, validate, hash, indicator
  set, regime, router, 4 strategies, scoring) over batch files of 100 symbols x 500 bars; in this process, and
  on a 2-worker LocalCluster (one task per batch, workers warmed by one untimed map). No cache: every symbol
  is computed. ``evaluate.cache_hit_symbols_per_min`` is a rerun served from the evaluation cache.
* ``indicators.speedup_vs_talib.500bars``: the same comparison on 500-bar histories (what the engine evaluates).
* ``strategy.peak_rss_mib``: peak RSS of this process (the indicator half dominates: 1,000 x 5,000 candles);
  ``evaluate.worker_rss_mib``: the largest Dask worker's RSS after the evaluation runs.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import psutil

from bench.records import record

CHUNK = 2  # symbols per call: one per thread, each symbol's outputs (~0.9 MB at 5,000 bars) stay in its L2


def market(symbols: int, bars: int, seed: int = 3) -> dict[str, np.ndarray]:
    """(symbols, bars) arrays of a random walk with volatility clustering, OHLCV-consistent."""
    rng = np.random.default_rng(seed)
    sigma = rng.uniform(0.004, 0.03, (symbols, 1)) * np.exp(np.cumsum(rng.normal(0, 0.05, (symbols, bars)), axis=1))
    sigma = np.clip(sigma, 0.001, 0.1)
    close = rng.uniform(0.01, 500, (symbols, 1)) * np.exp(np.cumsum(rng.normal(0, 1, (symbols, bars)) * sigma, 1))
    opens = np.concatenate((close[:, :1], close[:, :-1]), axis=1)
    wick = rng.uniform(0, 1, (2, symbols, bars)) * sigma
    return {
        "open": opens,
        "high": np.maximum(opens, close) * (1 + wick[0]),
        "low": np.minimum(opens, close) * (1 - wick[1]),
        "close": close,
        "volume": rng.lognormal(8, 1, (symbols, bars)),
    }


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def talib_set(talib: Any, o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray) -> None:
    talib.EMA(c, 12)
    talib.EMA(c, 26)
    talib.SMA(c, 50)
    talib.RSI(c, 14)
    talib.ATR(h, lo, c, 14)
    _, middle, _ = talib.BBANDS(c, 20, 2, 2)
    _ = (c - middle) / talib.STDDEV(c, 20, 1)
    talib.MACD(c, 12, 26, 9)
    talib.ADX(h, lo, c, 14)
    talib.PLUS_DI(h, lo, c, 14)
    talib.MINUS_DI(h, lo, c, 14)
    talib.STOCH(h, lo, c, 5, 3, 0, 3, 0)
    talib.OBV(c, v)
    _ = talib.SUM(talib.TYPPRICE(h, lo, c) * v, 20) / talib.SUM(v, 20)
    talib.MAX(h, 20)
    talib.MIN(lo, 20)
    returns = np.empty_like(c)
    returns[0] = np.nan
    np.log(c[1:] / c[:-1], out=returns[1:])
    _ = talib.STDDEV(returns, 48, 1) * np.sqrt(48 / 47)


def time_indicator_set(symbols: int, bars: int, runs: int) -> tuple[float, float, float, float]:
    """(our seconds, TA-Lib seconds, compile seconds, our seconds on numba's threads) for the set on
    ``symbols`` x ``bars``, same arrays."""
    import talib

    from tradepipe.core.strategy import indicator_set

    data = market(symbols, bars)
    cols = ("open", "high", "low", "close", "volume")
    flat = {k: data[k].reshape(-1) for k in cols}  # views: (symbols, bars) C arrays laid end to end
    chunk = CHUNK if bars >= 2_000 else 20  # short histories: more symbols per call, the buffer still fits L2
    offsets = np.arange(chunk + 1, dtype=np.int64) * bars
    buffer = indicator_set.allocate(chunk * bars)

    def ours(parallel: bool = False) -> None:
        for start in range(0, symbols, chunk):
            a, b = start * bars, (start + chunk) * bars
            indicator_set.compute(*(flat[k][a:b] for k in cols), offsets, out=buffer, parallel=parallel)

    def theirs() -> None:
        for s in range(symbols):
            talib_set(talib, *(data[k][s] for k in cols))

    started = time.perf_counter()
    indicator_set.compute(*(flat[k][:bars] for k in cols), offsets[:2], out=buffer)
    indicator_set.compute(*(flat[k][:bars] for k in cols), offsets[:2], out=buffer, parallel=True)
    compile_s = time.perf_counter() - started
    return best_of(runs, ours), best_of(runs, theirs), compile_s, best_of(runs, lambda: ours(True))


def bench_indicators(quick: bool) -> list[dict[str, Any]]:
    import numba

    from tradepipe.core.strategy import indicator_set

    symbols, bars = (100, 2_000) if quick else (1_000, 5_000)
    runs = 2 if quick else 3
    t_ours, t_talib, compile_s, t_threads = time_indicator_set(symbols, bars, runs)
    candles = symbols * bars
    params = {"symbols": symbols, "bars": bars, "outputs": len(indicator_set.ROWS), "threads": 1}
    t_short, t_short_talib, _, _ = time_indicator_set(symbols, 500, runs)
    threads = params | {"threads": numba.get_num_threads()}
    return [
        record("indicators.candles_per_s.ours", candles / t_ours, "candles/s", True, **params),
        record("indicators.candles_per_s.talib", candles / t_talib, "candles/s", True, **params),
        record("indicators.speedup_vs_talib", t_talib / t_ours, "x", True, **params),
        record("indicators.speedup_vs_talib.500bars", t_short_talib / t_short, "x", True, **params | {"bars": 500}),
        record("indicators.candles_per_s.ours_threads", candles / t_threads, "candles/s", True, **threads),
        record("indicators.speedup_vs_talib.threads", t_talib / t_threads, "x", True, **threads),
        record("indicators.jit_compile_s", compile_s, "s", False, note="numba compile or on-disk cache load"),
    ]


def write_batches(root: Path, symbols: int, bars: int, per_batch: int = 100) -> list[Any]:
    from tradepipe.core.strategy import EvaluationJob

    data = market(symbols, bars, seed=8)
    ts = 1_767_225_600_000 + np.arange(bars, dtype=np.int64) * 3_600_000
    jobs = []
    for first in range(0, symbols, per_batch):
        names = [f"B{s:05d}/USDT" for s in range(first, min(first + per_batch, symbols))]
        frame = pl.DataFrame(
            {
                "venue": np.repeat("sim-alpha", len(names) * bars),
                "symbol": np.repeat(names, bars),
                "timestamp": np.tile(ts, len(names)),
                **{k: data[k][first : first + len(names)].reshape(-1) for k in data},
            }
        )
        path = root / f"batch-{first // per_batch:04d}.parquet"
        frame.write_parquet(path)
        jobs.append(EvaluationJob(str(path), tuple(("sim-alpha", n) for n in names)))
    return jobs


def bench_evaluate(quick: bool) -> list[dict[str, Any]]:
    from tradepipe.adapters.compute import DirectoryCache, map_batches, open_client
    from tradepipe.core.strategy import DEFAULT_SPEC, evaluate_job

    symbols, bars = (400, 500) if quick else (4_000, 500)
    params = {"symbols": symbols, "bars": bars, "batch": 100}
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-strategy-") as tmp:
        jobs = write_batches(Path(tmp), symbols, bars)
        evaluate_job(jobs[0], DEFAULT_SPEC)  # warm imports and kernels
        t1 = best_of(1 if quick else 2, lambda: [evaluate_job(job, DEFAULT_SPEC) for job in jobs])
        out.append(record("evaluate.symbols_per_min.1proc", symbols / t1 * 60, "symbols/min", True, **params))
        cache = DirectoryCache(str(Path(tmp) / "cache"))
        [evaluate_job(job, DEFAULT_SPEC, cache) for job in jobs]
        t_hit = best_of(1, lambda: [evaluate_job(job, DEFAULT_SPEC, cache) for job in jobs])
        out.append(record("evaluate.cache_hit_symbols_per_min", symbols / t_hit * 60, "symbols/min", True, **params))
        with open_client(None, n_workers=2, threads_per_worker=1) as client:
            client.wait_for_workers(2, timeout=120)
            map_batches(client, evaluate_job, jobs[:4], DEFAULT_SPEC, None)  # workers import and load kernels
            t2 = best_of(1 if quick else 2, lambda: map_batches(client, evaluate_job, jobs, DEFAULT_SPEC, None))
            rss = client.run(lambda: psutil.Process().memory_info().rss / 2**20)
        out.append(
            record("evaluate.symbols_per_min.dask2", symbols / t2 * 60, "symbols/min", True, workers=2, **params)
        )
        out.append(record("evaluate.worker_rss_mib", max(rss.values()), "MiB", False, workers=2, note="after the runs"))
    return out


def run(quick: bool) -> list[dict[str, Any]]:
    results = bench_indicators(quick) + bench_evaluate(quick)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.append(record("strategy.peak_rss_mib", peak, "MiB", False, note="the bench process, indicator half"))
    return results
