"""Smoke run of the benchmark harness (``python -m bench.run --quick``): the results file has BENCH.md's shape.

Asserts the shape only, never a speed: the figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
N = 10  # symbols in quick mode
STAGES = ("discover", "fetch", "gate", "evaluate", "size", "execute", "manage", "reconcile")
EXPECTED = {
    f"cycle.wall_s.{N}.cold",
    f"cycle.wall_s.{N}.warm",
    f"cycle.process_wall_s.{N}.cold",
    f"cycle.peak_rss_mib.{N}",
    "fetch.symbols_per_min.cold",
    "fetch.symbols_per_min.warm",
    "store.bytes_per_million_candles",
    *(f"cycle.stage_s.{stage}.{N}" for stage in STAGES),
}


@pytest.mark.timeout(360)
def test_quick_bench_writes_results_in_bench_md_shape(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.run", "--quick", "--out", str(out)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"bench.run --quick took longer than 300 s; stderr tail:\n{str(exc.stderr or '')[-3000:]}")
    assert proc.returncode == 0, f"bench.run --quick failed ({proc.returncode}):\n{proc.stderr[-3000:]}"

    data = json.loads(out.read_text())
    assert set(data) == {"machine", "results"}
    machine = data["machine"]
    assert set(machine) == {"cpus", "python", "git"}
    assert isinstance(machine["cpus"], int) and machine["cpus"] >= 1
    assert isinstance(machine["python"], str) and machine["python"].count(".") == 2
    assert isinstance(machine["git"], str) and machine["git"]

    results = data["results"]
    assert isinstance(results, list) and results
    for r in results:
        assert set(r) == {"name", "value", "unit", "higher_is_better", "params"}, r
        assert isinstance(r["name"], str) and r["name"]
        assert isinstance(r["unit"], str) and r["unit"]
        assert isinstance(r["higher_is_better"], bool)
        assert isinstance(r["params"], dict)
        value = r["value"]
        assert isinstance(value, int | float) and not isinstance(value, bool), r
        assert math.isfinite(value) and value > 0, r
    names = [r["name"] for r in results]
    assert len(names) == len(set(names)), "duplicate result names"
    assert set(names) >= EXPECTED, f"missing: {sorted(EXPECTED - set(names))}"
    for r in results:
        if r["name"].startswith("cycle."):
            assert r["params"]["symbols"] == N
