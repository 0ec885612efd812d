"""Evaluation on a real 2-process LocalCluster: same decisions as in-process, and the workers import
this project's top-level ``tasks`` and ``flows`` packages (not a same-named package from elsewhere)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from distributed import Client

from tradepipe.adapters.compute import map_batches, open_client
from tradepipe.core.strategy import DEFAULT_SPEC, EvaluationJob, evaluate_batch, evaluate_job

REPO_ROOT = Path(__file__).resolve().parents[2]
HOUR_MS = 3_600_000

pytestmark = pytest.mark.timeout(120)


def write_batch(path: Path, index: int, symbols: int = 12, bars: int = 200) -> EvaluationJob:
    """A batch file of random-walk symbols on two venues, plus one planted broken symbol."""
    rng = np.random.default_rng(1000 + index)
    frames = []
    for k in range(symbols):
        venue = "alpha" if k % 2 else "beta"
        sigma = rng.uniform(0.005, 0.02)
        close = 100.0 * np.exp(np.cumsum(rng.normal(0, sigma, bars)))
        opens = np.concatenate((close[:1], close[:-1]))
        timestamps = 1_700_000_000_000 + np.arange(bars, dtype=np.int64) * HOUR_MS
        if k == 0:
            timestamps[100:] -= HOUR_MS  # planted duplicate bar: this symbol degrades with an error
        frames.append(
            pl.DataFrame(
                {
                    "venue": [venue] * bars,
                    "symbol": [f"S{index}{k:02d}/USDT"] * bars,
                    "timestamp": timestamps,
                    "open": opens,
                    "high": np.maximum(opens, close) * (1 + sigma / 2),
                    "low": np.minimum(opens, close) * (1 - sigma / 2),
                    "close": close,
                    "volume": rng.uniform(1, 100, bars),
                }
            )
        )
    frame = pl.concat(frames).sort("venue", "symbol", "timestamp", maintain_order=True)
    frame.write_parquet(path)
    pairs = frame.select("venue", "symbol").unique(maintain_order=True).rows()
    # the caller passes only gated pairs: drop one, and ask for one the file does not have
    return EvaluationJob(path=str(path), pairs=(*pairs[1:], ("alpha", "MISSING/USDT")))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with open_client(None, n_workers=2, threads_per_worker=1) as client:
        client.wait_for_workers(2, timeout=60)
        yield client


def test_map_batches_matches_in_process_evaluation(client: Client, tmp_path: Path) -> None:
    jobs = [write_batch(tmp_path / f"batch-{i}.parquet", i) for i in range(3)]
    expected = [evaluate_batch(job.path, list(job.pairs), DEFAULT_SPEC) for job in jobs]

    actual = map_batches(client, evaluate_job, jobs, DEFAULT_SPEC)

    assert actual == expected
    for got, want in zip(actual, expected, strict=True):
        assert [d.metrics for d in got] == [d.metrics for d in want]
    decisions = [d for batch in actual for d in batch]
    assert any(d.error and "strictly increasing" in d.error for d in decisions)
    assert any(d.error and "no candles" in d.error for d in decisions)
    assert sum(d.error is None for d in decisions) == 3 * 10  # 12 pairs asked: 1 broken, 1 missing


def test_tasks_run_in_separate_worker_processes(client: Client) -> None:
    def whoami() -> int:
        return os.getpid()

    pids = client.run(whoami)
    assert len(pids) == 2
    assert os.getpid() not in pids.values()


def test_workers_import_this_projects_tasks_and_flows(client: Client) -> None:
    # Defined inside the test, so cloudpickle ships it by value: the workers need not import this file.
    def package_dirs() -> dict[str, str]:
        import importlib

        found = {}
        for name in ("tasks", "flows"):
            module = importlib.import_module(name)
            found[name] = str(Path(module.__file__ or "").resolve().parent)
        return found

    per_worker = client.run(package_dirs)
    assert len(per_worker) == 2
    for dirs in per_worker.values():
        assert dirs == {"tasks": str(REPO_ROOT / "tasks"), "flows": str(REPO_ROOT / "flows")}


def test_map_batches_of_nothing_submits_nothing(client: Client) -> None:
    assert map_batches(client, evaluate_job, [], DEFAULT_SPEC) == []


def test_a_failing_task_is_retried_then_succeeds(client: Client, tmp_path: Path) -> None:
    # Fails on its first two attempts (counted in a file, so any worker sees the count), then succeeds.
    def flaky(item: int, attempts_dir: str) -> int:
        marker = Path(attempts_dir) / f"item-{item}"
        attempts = int(marker.read_text()) + 1 if marker.exists() else 1
        marker.write_text(str(attempts))
        if attempts <= 2:
            raise OSError(f"attempt {attempts} failed")
        return item * 10

    assert map_batches(client, flaky, [1, 2], str(tmp_path)) == [10, 20]
    assert (tmp_path / "item-1").read_text() == "3"


def test_a_task_that_keeps_failing_raises_its_error(client: Client) -> None:
    def always_fails(item: int) -> int:
        raise ValueError(f"bad item {item}")

    with pytest.raises(ValueError, match="bad item"):
        map_batches(client, always_fails, [1, 2, 3])
