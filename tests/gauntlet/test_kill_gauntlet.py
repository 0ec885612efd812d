"""The kill gauntlet: the whole ``tradepipe run`` process SIGKILLed at drawn crash points across every stage, then
restarted; after the restart's cycle (execute recovers by lookup, reconcile compares) every promise must hold.

A dry ``tradepipe run --cycles 2`` counts how often each crash point is reached (``TRADEPIPE_CRASH_AT=count=<file>``;
the points are listed in ``tradepipe/adapters/crash.py``: the order journal, the venue's wallet, every stage's end,
the report, atomic file replacements, candle-store parts). Each scenario then runs ``tradepipe run --cycles 2`` in
its own session with ``TRADEPIPE_CRASH_AT=<point>:<n>`` (points in turn, ``n`` drawn), kills whatever is left of
its process group, restarts with ``tradepipe run`` (one cycle) and checks ``invariants.problems`` and the equity
identity of the restart's summary. One state dir carries through every scenario, as a real deployment's would.

The runs share one Prefect API and one Dask cluster started by the test (each ``tradepipe run`` would otherwise
start its own, ~20 s), and skip the Great Expectations tier (~15 s of setup per process; the gate's own checks run).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.gauntlet.invariants import equity_problems, problems

TRADEPIPE = str(Path(sys.executable).with_name("tradepipe"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def run_env(state: Path, prefect_url: str, dask_address: str, crash: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEPIPE_")}
    env |= {
        "PREFECT_API_URL": prefect_url,
        "TRADEPIPE_STATE_DIR": str(state),
        "TRADEPIPE_DASK__ADDRESS": dask_address,
        "TRADEPIPE_DISCOVERY__MAX_SYMBOLS": "20",
        "TRADEPIPE_SIM__BAD_DATA_EVERY": "5",
        "TRADEPIPE_PAPER__CLIENT_ORDER_ID_UNIQUE": "false",  # a duplicate send would show in the wallet
        "TRADEPIPE_QUALITY__GX_ENABLED": "false",
    }
    if crash:
        env["TRADEPIPE_CRASH_AT"] = crash
    return env


def tradepipe_run(env: dict[str, str], cycles: int) -> tuple[int, str]:
    """``tradepipe run`` in its own session; afterwards nothing of its process group survives. (code, stderr)."""
    proc = subprocess.Popen(
        [TRADEPIPE, "run", "--cycles", str(cycles)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, err = proc.communicate(timeout=600)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the whole group: what the killed process left behind
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, err


def last_summary(state: Path) -> dict[str, Any] | None:
    engine = create_engine(f"sqlite:///{state / 'ledger.db'}")
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("select summary from runs where status = 'completed' order by cycle desc limit 1")
            ).first()
    finally:
        engine.dispose()
    return None if row is None or row[0] is None else (json.loads(row[0]) if isinstance(row[0], str) else row[0])


def draws(counts: dict[str, int], kills: int, seed: int) -> list[tuple[str, int]]:
    """``kills`` (point, n) pairs: every point in turn (shuffled each round), ``n`` drawn up to its dry-run count."""
    rng, plan = random.Random(seed), []
    while len(plan) < kills:
        points = sorted(counts)
        rng.shuffle(points)
        plan += [(p, rng.randint(1, counts[p])) for p in points]
    return plan[:kills]


def gauntlet(root: Path, prefect_url: str, dask_address: str, kills: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    dry = root / "dry"
    code, err = tradepipe_run(run_env(dry, prefect_url, dask_address, f"count={root / 'counts.json'}"), 2)
    assert code == 0, err[-3000:]
    assert not problems(dry)
    counts = json.loads((root / "counts.json").read_text())
    state, report = root / "state", {"counts": counts, "scenarios": [], "violations": {}}
    for i, (point, nth) in enumerate(draws(counts, kills, seed)):
        code, err = tradepipe_run(run_env(state, prefect_url, dask_address, f"{point}:{nth}"), 2)
        scenario = {"i": i, "point": point, "nth": nth, "crash": "killed" if code == -signal.SIGKILL else code}
        code, err = tradepipe_run(run_env(state, prefect_url, dask_address, None), 1)
        scenario["restart"] = code
        found = [f"restart exit {code}: {err[-800:]}"] if code != 0 else []
        found += problems(state)
        summary = last_summary(state)
        found += equity_problems(summary) if summary else ["no completed run"]
        if found:
            report["violations"][f"{i}:{point}:{nth}"] = found
        report["scenarios"].append(scenario)
        with (root / "scenarios.jsonl").open("a") as log:  # progress, readable while a long gauntlet runs
            log.write(json.dumps(scenario | {"violations": found, "at_s": round(time.perf_counter() - started)}) + "\n")
    report["kills"] = sum(s["crash"] == "killed" for s in report["scenarios"])
    report["seconds"] = round(time.perf_counter() - started, 1)
    (root / "gauntlet.json").write_text(json.dumps(report, indent=1))
    print(
        f"kill gauntlet: {report['kills']} kills of {kills} scenarios, {len(report['violations'])} with violations, "
        f"{report['seconds']} s; points {sorted({s['point'] for s in report['scenarios'] if s['crash'] == 'killed'})}"
    )
    return report


@pytest.mark.timeout(600)
def test_a_few_kills_of_the_whole_run_lose_nothing(prefect_api: str, dask_address: str, tmp_path: Path) -> None:
    report = gauntlet(tmp_path, prefect_api, dask_address, kills=2, seed=3)
    assert report["kills"] >= 1  # a drawn point may lie beyond what this state's run reaches
    assert not report["violations"], json.dumps(report["violations"], indent=1)[:4000]


@pytest.mark.slow
@pytest.mark.timeout(7_200)
def test_a_hundred_and_twenty_kills_across_every_stage_lose_nothing(
    prefect_api: str, dask_address: str, tmp_path: Path
) -> None:
    report = gauntlet(tmp_path, prefect_api, dask_address, kills=120, seed=4)
    assert report["kills"] >= 100
    killed_at = {s["point"] for s in report["scenarios"] if s["crash"] == "killed"}
    assert {"stage.manage.done", "stage.reconcile.done", "candles.replaced"} <= killed_at
    assert not report["violations"], json.dumps(report["violations"], indent=1)[:4000]
