"""The benchmark harness: ``python -m bench.run [--quick] [--out bench/results.json]`` (or ``BENCH_QUICK=1``).

Writes ``{"machine": {...}, "results": [...]}`` in the shape of ``/work/shared/BENCH.md``. Measures one paper
trading cycle on the simulated venues with N symbols (100; 10 in quick mode):

* ``cycle.wall_s.<N>.cold``: the first ``trading_cycle()`` call in a fresh subprocess on a fresh temporary state
  dir (includes the Prefect ephemeral API start on a new Prefect home, the Dask LocalCluster start and the
  simulated market generation); ``cycle.process_wall_s.<N>.cold``: launch of that subprocess to the cold cycle's
  return (adds interpreter start and imports);
* ``cycle.wall_s.<N>.warm``: the minimum over the next cycles (2; 1 in quick mode) in the same subprocess;
* ``cycle.stage_s.<stage>.<N>``: seconds per stage of that fastest warm cycle (ledger ``stage_runs``);
* ``cycle.peak_rss_mib.<N>``: ``getrusage`` peak RSS of the subprocess plus its largest child;
* ``fetch.*``, ``store.*`` and ``cache.*``: from ``bench/suites/marketdata.py`` (the fetch stage on its own).

The cycles run in ``bench.cycle_worker`` with the CLI's environment preparation; ``TRADEPIPE_*`` and ``PREFECT_*``
variables of the calling shell are dropped so every run measures the default config on a fresh Prefect home.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bench import suites
from bench.cycle_worker import LAUNCH_ENV, PROGRESS_MARK
from bench.records import record

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "bench" / "results.json"
FULL = {"symbols": 100, "warm": 2, "timeout_s": 900}
QUICK = {"symbols": 10, "warm": 1, "timeout_s": 240}
DROPPED_ENV_PREFIXES = ("TRADEPIPE_", "PREFECT_")


class BenchError(RuntimeError):
    pass


def machine_info() -> dict[str, Any]:
    try:
        git = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        git = ""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "git": git or "unknown"}


def worker_env(launch_wall: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_ENV_PREFIXES)}
    env[LAUNCH_ENV] = repr(launch_wall)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_worker(
    symbols: int, warm: int, state_dir: Path, timeout_s: float, progress: Progress, task: Any, verbose: bool
) -> tuple[dict[str, Any], float]:
    """Run ``bench.cycle_worker``; advance the progress bar on its marks; return its JSON and the process wall."""
    command = [
        sys.executable,
        "-m",
        "bench.cycle_worker",
        "--symbols",
        str(symbols),
        "--warm",
        str(warm),
        "--state-dir",
        str(state_dir),
        "--config",
        str(REPO_ROOT / "tradepipe.toml"),
    ]
    tail: collections.deque[str] = collections.deque(maxlen=80)
    launch_wall = time.time()
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=worker_env(launch_wall),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith(PROGRESS_MARK):
                progress.update(task, advance=1, description=line[len(PROGRESS_MARK) :].strip())
                continue
            tail.append(line.rstrip("\n"))
            if verbose:
                progress.console.print(line.rstrip("\n"), markup=False, highlight=False)

    reader = threading.Thread(target=pump_stderr, name="bench-stderr", daemon=True)
    reader.start()
    out: list[str] = []
    stdout_reader = threading.Thread(target=lambda: out.append(proc.stdout.read() if proc.stdout else ""), daemon=True)
    stdout_reader.start()
    try:
        code = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise BenchError(f"cycle worker timed out after {timeout_s:.0f} s; last stderr:\n" + "\n".join(tail)) from None
    wall = time.perf_counter() - started
    stdout_reader.join(10)
    reader.join(10)
    if code != 0:
        raise BenchError(f"cycle worker exited with {code}; last stderr:\n" + "\n".join(tail))
    lines = [line for line in "".join(out).splitlines() if line.strip()]
    if len(lines) != 1:
        raise BenchError(f"cycle worker printed {len(lines)} stdout lines, expected one JSON line: {lines[:3]!r}")
    data = json.loads(lines[0])
    data["process_wall_s"] = wall
    data["launch_wall"] = launch_wall
    return data, wall


def store_stats(state_dir: Path) -> dict[str, int]:
    files = sorted((state_dir / "candles" / "history").rglob("part-*.parquet"))  # one schema: the history parts
    if not files:
        raise BenchError(f"no parquet files under {state_dir / 'candles'}")
    size = sum(f.stat().st_size for f in files)
    rows = int(pl.scan_parquet(files).select(pl.len()).collect().item())
    if rows <= 0:
        raise BenchError("the candle store holds no rows")
    return {"files": len(files), "bytes": size, "rows": rows}


def build_results(worker: dict[str, Any], store: dict[str, int], symbols: int) -> list[dict[str, Any]]:
    n = symbols
    cycles = worker["cycles"]
    cold = cycles[0]
    warm_cycles = [c for c in cycles[1:] if c["kind"] == "warm"]
    if cold["kind"] != "cold" or not warm_cycles:
        raise BenchError("the worker returned no cold or no warm cycle")
    warm = min(warm_cycles, key=lambda c: c["wall_s"])
    universe = cold["universe"]
    base: dict[str, Any] = {"symbols": n}
    if universe != n:
        base["universe"] = universe  # the sim venues list fewer pairs than asked for
    settings = worker.get("settings", {})
    rss = worker["rss"]
    diag = worker.get("diagnostics", {})
    results = [
        record(
            f"cycle.wall_s.{n}.cold",
            cold["wall_s"],
            "s",
            False,
            **base,
            seed=settings.get("seed"),
            note="first trading_cycle() call in a fresh process on a fresh state dir: includes Prefect ephemeral "
            "API start on a new Prefect home (its database is created), Dask LocalCluster start, sim market "
            "generation",
            stages_sum_s=round(sum(cold["stage_seconds"].values()), 4),
        ),
        record(
            f"cycle.process_wall_s.{n}.cold",
            worker["launch_to_cold_end_s"],
            "s",
            False,
            **base,
            note="subprocess launch to the cold cycle's return: interpreter start, imports, prepare_prefect, cold "
            "cycle; excludes the warm cycles and interpreter exit",
            import_s=round(worker["import_s"], 4),
            subprocess_total_s=round(worker["process_wall_s"], 3),
        ),
        record(
            f"cycle.wall_s.{n}.warm",
            warm["wall_s"],
            "s",
            False,
            **base,
            warm_cycles=len(warm_cycles),
            all_s=[round(c["wall_s"], 4) for c in warm_cycles],
            note="minimum over the next cycles in the same process (next sim bar each, so no store cache hit); "
            "Prefect API already up, but every evaluate stage still starts and stops its own LocalCluster",
            stages_sum_s=round(sum(warm["stage_seconds"].values()), 4),
        ),
    ]
    for stage, seconds in warm["stage_seconds"].items():
        params: dict[str, Any] = {**base, "cycle": "warm", "cold_s": round(cold["stage_seconds"].get(stage, 0.0), 4)}
        if stage == "evaluate" and diag:
            params["breakdown"] = {k: round(v, 4) for k, v in diag.items()}
        results.append(record(f"cycle.stage_s.{stage}.{n}", seconds, "s", False, **params))
    results.append(
        record(
            f"cycle.peak_rss_mib.{n}",
            rss["self_peak_mib"] + rss["largest_child_peak_mib"],
            "MiB",
            False,
            **base,
            self_peak_mib=round(rss["self_peak_mib"], 1),
            largest_child_peak_mib=round(rss["largest_child_peak_mib"], 1),
            tree_sampled_peak_mib=round(rss["tree_sampled_peak_mib"], 1),
            note="getrusage: the cycle process's own peak plus the largest reaped descendant's peak (Prefect "
            "ephemeral server or a Dask worker), over the cold and warm cycles; tree_sampled_peak_mib is the summed "
            "RSS of the whole process tree sampled every 0.25 s",
        )
    )
    # fetch.symbols_per_min.* and store.bytes_per_million_candles come from bench/suites/marketdata.py
    for r in results:
        if not (isinstance(r["value"], float | int) and math.isfinite(r["value"]) and r["value"] > 0):
            raise BenchError(f"{r['name']}: value {r['value']!r} is not a finite positive number")
    return results


def check_records(suite: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A suite's records, refused unless each has the BENCH.md shape and a finite value."""
    if not records:
        raise BenchError(f"suite {suite} returned no records")
    for r in records:
        missing = {"name", "value", "unit", "higher_is_better", "params"} - r.keys()
        if missing or not (isinstance(r["value"], float | int) and math.isfinite(r["value"])):
            raise BenchError(f"suite {suite}: bad record {r!r} (missing {sorted(missing)})")
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="tradepipe benchmarks (see /work/shared/BENCH.md)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 symbols, 1 warm cycle (or BENCH_QUICK=1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results file (default: {DEFAULT_OUT})")
    parser.add_argument("--verbose", "-v", action="store_true", help="echo the cycle worker's stderr")
    parser.add_argument(
        "--only", nargs="*", default=None, help="run only these suites ('cycle' or a bench/suites name)"
    )
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BENCH_QUICK", "").strip().lower() in ("1", "true", "yes", "on")
    mode = QUICK if quick else FULL
    n, warm = mode["symbols"], mode["warm"]

    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        found = suites.discover()
        chosen = [name for name in found if args.only is None or name in args.only]
        with_cycle = args.only is None or "cycle" in args.only
        # steps: machine info, [imports, cold cycle, warm cycles, diagnostics, store size], each suite, write
        task = progress.add_task("machine info", total=2 + (4 + warm if with_cycle else 0) + len(chosen))
        machine = machine_info()
        progress.update(task, advance=1)
        results: list[dict[str, Any]] = []
        if with_cycle:
            progress.update(task, description=f"cycle worker: {n} symbols, imports")
            with tempfile.TemporaryDirectory(prefix="tradepipe-bench-") as tmp:
                state_dir = Path(tmp) / "state"
                worker, _ = run_worker(n, warm, state_dir, mode["timeout_s"], progress, task, args.verbose)
                progress.update(task, description="store size")
                store = store_stats(state_dir)
                progress.update(task, advance=1)
            results += build_results(worker, store, n)
        for name in chosen:
            progress.update(task, description=f"suite {name}")
            results += check_records(name, found[name](quick))
            progress.update(task, advance=1)
        progress.update(task, description=f"write {args.out}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = args.out.with_name(args.out.name + ".tmp")
        tmp_out.write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
        os.replace(tmp_out, args.out)
        progress.update(task, advance=1, description="done")
    console.print(f"wrote {len(results)} results to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        Console(stderr=True).print(f"[bold red]bench failed:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)
