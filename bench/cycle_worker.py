"""One benchmark subprocess: a cold trading cycle, then warm ones, in a fresh process on a given state dir.

Run by ``bench.run`` as ``python -m bench.cycle_worker --symbols N --warm K --state-dir DIR``. The environment is
prepared exactly as the CLI does it (``tradepipe.cli.prepare_prefect`` before the flows are imported).

Output contract: exactly one JSON line on stdout, written at interpreter exit (after Prefect's ephemeral API
server has been stopped and reaped, so its memory shows in ``RUSAGE_CHILDREN``). Everything else goes to
stderr: file descriptor 1 is pointed at stderr for the whole run, so Prefect, Dask workers and the ephemeral
server cannot write to stdout either. Lines on stderr starting with ``@@bench`` are progress marks for the parent.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

PROGRESS_MARK = "@@bench "
LAUNCH_ENV = "BENCH_LAUNCH_WALL"  # time.time() of the parent just before it started this process


def progress(message: str) -> None:
    print(f"{PROGRESS_MARK}{message}", file=sys.stderr, flush=True)


class TreeRssSampler(threading.Thread):
    """Peak of the summed RSS of this process and all its descendants, sampled every ``interval`` seconds.

    A cross-check for ``getrusage``, which only knows each process's own peak (and, for children, the largest one).
    """

    def __init__(self, interval: float = 0.25) -> None:
        super().__init__(name="bench-rss-sampler", daemon=True)
        self.interval = interval
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil comes with distributed
            return
        me = psutil.Process()
        while not self._stop_event.is_set():
            total = 0
            try:
                procs = [me, *me.children(recursive=True)]
            except psutil.Error:
                procs = [me]
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()


def _mib_from_rusage(kib: int) -> float:
    return kib / 1024.0  # Linux reports ru_maxrss in KiB


def _diagnose_evaluate(settings: Any) -> dict[str, float]:
    """Split the evaluate stage as the cycle runs it: LocalCluster start, first map (workers import the strategy
    code), a second map of the same jobs on the now-hot workers, cluster stop; plus the same jobs in-process.

    Uses the candle files of the latest sim time in the store (every symbol in them, quarantined ones too).
    """
    from tradepipe.adapters.compute.dask_cluster import map_batches, open_client
    from tradepipe.core.strategy import EvaluationJob, evaluate_job
    from tradepipe.stages.evaluate import strategy_params

    sidecars = [json.loads(p.read_text()) for p in (Path(settings.state_dir) / "candles").rglob("*.json")]
    if not sidecars:
        return {}
    latest = max(int(s["as_of_ms"]) for s in sidecars)
    jobs = [
        EvaluationJob(str(s["path"]), tuple((str(v), str(sym)) for v, sym in s["symbols"]))
        for s in sidecars
        if int(s["as_of_ms"]) == latest
    ]
    params = strategy_params(settings)
    out: dict[str, float] = {"symbols": float(sum(len(job.pairs) for job in jobs)), "batches": float(len(jobs))}

    cfg = settings.dask
    t0 = time.perf_counter()
    with open_client(cfg.address or None, cfg.n_workers, cfg.threads_per_worker) as client:
        client.wait_for_workers(cfg.n_workers)
        t1 = time.perf_counter()
        map_batches(client, evaluate_job, jobs, params)
        t2 = time.perf_counter()
        map_batches(client, evaluate_job, jobs, params)
        t3 = time.perf_counter()
    t4 = time.perf_counter()
    out |= {
        "dask_cluster_start_s": t1 - t0,
        "dask_first_map_s": t2 - t1,
        "dask_second_map_s": t3 - t2,
        "dask_cluster_stop_s": t4 - t3,
    }

    evaluate_job(jobs[0], params)  # warm the in-process path the same way
    started = time.perf_counter()
    for job in jobs:
        evaluate_job(job, params)
    out["inprocess_evaluate_s"] = time.perf_counter() - started
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, required=True)
    parser.add_argument("--warm", type=int, default=2, help="warm cycles after the cold one")
    parser.add_argument("--state-dir", type=Path, required=True, help="a fresh, empty state dir")
    parser.add_argument("--config", type=Path, default=None, help="TOML config (default: as the CLI finds it)")
    parser.add_argument("--no-diagnostics", action="store_true", help="skip the evaluate-stage breakdown")
    args = parser.parse_args(argv)

    launch_wall = float(os.environ.get(LAUNCH_ENV, "nan"))
    real_stdout = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # nothing but our JSON line may reach the parent's stdout, from this process or its children
    sys.stdout = sys.stderr

    sampler = TreeRssSampler()
    sampler.start()
    result: dict[str, Any] = {"symbols": args.symbols, "complete": False}

    def emit() -> None:
        """Runs at exit after Prefect's own atexit hook (registered later, so run earlier) stopped its server."""
        if not result["complete"]:
            return
        sampler.stop()
        self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result["rss"] = {
            "self_peak_mib": _mib_from_rusage(self_kib),
            "largest_child_peak_mib": _mib_from_rusage(children_kib),
            "tree_sampled_peak_mib": sampler.peak_bytes / 2**20,
        }
        result["exit_wall"] = time.time()
        real_stdout.write(json.dumps(result) + "\n")
        real_stdout.flush()

    atexit.register(emit)

    started = time.perf_counter()
    from tradepipe.cli import prepare_prefect
    from tradepipe.config import load_settings

    settings = load_settings(
        args.config, {"state_dir": str(args.state_dir), "discovery": {"max_symbols": args.symbols}}
    )
    prepare_prefect(settings)
    from flows.trading_cycle import trading_cycle

    result["import_s"] = time.perf_counter() - started
    result["settings"] = {
        "seed": settings.seed,
        "venues": list(settings.sim.venues),
        "history_bars": settings.marketdata.history_bars,
        "timeframe": settings.marketdata.timeframe,
        "batch_size": settings.discovery.batch_size,
        "dask_workers": settings.dask.n_workers,
        "dask_threads_per_worker": settings.dask.threads_per_worker,
        "dask_address": settings.dask.address or "LocalCluster",
    }
    progress("imports done")

    cycles: list[dict[str, Any]] = []
    for index in range(1 + args.warm):
        kind = "cold" if index == 0 else "warm"
        started = time.perf_counter()
        summary = trading_cycle(settings=settings, max_symbols=args.symbols)
        wall = time.perf_counter() - started
        cycles.append(
            {
                "kind": kind,
                "wall_s": wall,
                "cycle": summary.cycle,
                "as_of": summary.as_of,
                "universe": summary.universe,
                "batches": summary.batches,
                "cache_hits": summary.cache_hits,
                "cache_misses": summary.cache_misses,
                "quarantined": len(summary.quarantined),
                "signals": summary.signals,
                "orders": summary.orders,
                "stage_seconds": dict(summary.stage_seconds),
            }
        )
        if index == 0:
            result["launch_to_cold_end_s"] = time.time() - launch_wall
        progress(f"{kind} cycle done {wall:.2f}")
    result["cycles"] = cycles

    if not args.no_diagnostics:
        result["diagnostics"] = _diagnose_evaluate(settings)
        progress("diagnostics done")

    result["complete"] = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
