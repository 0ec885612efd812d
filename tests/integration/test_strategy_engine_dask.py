"""The strategy engine fanned out on a real 2-worker LocalCluster: the same decisions as one process, the
cache shared by the workers, and a batch whose worker dies is run again on another worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from distributed import Client

from tradepipe.adapters.compute import DirectoryCache, map_batches, open_client
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.core.strategy import DEFAULT_SPEC, EngineSpec, EvaluationJob, evaluate_job
from tradepipe.domain.strategy import Decision, Direction

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with open_client(None, n_workers=2, threads_per_worker=1) as client:
        client.wait_for_workers(2, timeout=60)
        yield client


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> list[EvaluationJob]:
    """Four batch files of sim candles (300 bars, 12 symbols each) as the fetch stage writes them."""
    root = tmp_path_factory.mktemp("batches")
    market = SimMarket(seed=5, history_bars=400, future_bars=0, n_symbols=48)
    symbols = market.symbols()
    out = []
    for b in range(4):
        frames = []
        for symbol in symbols[b * 12 : (b + 1) * 12]:
            bars = np.array(market.clean_candles(symbol))[-300:]
            names = ("timestamp", "open", "high", "low", "close", "volume")
            cols = {name: bars[:, k] for k, name in enumerate(names)}
            cols["timestamp"] = cols["timestamp"].astype(np.int64)
            frames.append(pl.DataFrame({"venue": "sim-alpha", "symbol": symbol, **cols}))
        path = root / f"batch-{b}.parquet"
        pl.concat(frames).write_parquet(path)
        out.append(EvaluationJob(str(path), tuple(("sim-alpha", s) for s in symbols[b * 12 : (b + 1) * 12])))
    return out


def in_process(jobs: list[EvaluationJob], spec: EngineSpec) -> list[list[Decision]]:
    return [evaluate_job(job, spec) for job in jobs]


def test_two_workers_give_the_same_decisions_as_one_process(client: Client, jobs: list[EvaluationJob]) -> None:
    expected = in_process(jobs, DEFAULT_SPEC)
    actual = map_batches(client, evaluate_job, jobs, DEFAULT_SPEC, None)
    assert actual == expected
    flat = [d for batch in actual for d in batch]
    assert len(flat) == 48 and all(d.error is None for d in flat)
    assert any(d.direction is Direction.LONG for d in flat)  # the sim gives the engine something to trade
    assert len({d.regime for d in flat}) >= 3


def test_workers_share_the_cache_and_a_rerun_is_all_hits(
    client: Client, jobs: list[EvaluationJob], tmp_path: Path
) -> None:
    cache = DirectoryCache(str(tmp_path / "cache"))
    first = map_batches(client, evaluate_job, jobs, DEFAULT_SPEC, cache)
    again = map_batches(client, evaluate_job, list(reversed(jobs)), DEFAULT_SPEC, cache)  # other workers, likely
    assert list(reversed(again)) == first == in_process(jobs, DEFAULT_SPEC)
    assert all(d.metrics["cache_hits"] == len(d.routes) for batch in again for d in batch)
    assert sum(1 for _ in (tmp_path / "cache").rglob("*.json")) == 48


def evaluate_or_die_once(job: EvaluationJob, spec: EngineSpec, markers: str) -> list[Decision]:
    """Kill the worker process the first time a batch is tried (as a crashed or preempted worker would)."""
    marker = Path(markers) / Path(job.path).name
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)
    return evaluate_job(job, spec)


@pytest.mark.slow  # a worker restart costs ~10-30 s on this machine
def test_a_batch_lost_with_its_worker_runs_again_on_another(
    client: Client, jobs: list[EvaluationJob], tmp_path: Path
) -> None:
    lost = jobs[:2]
    actual = map_batches(client, evaluate_or_die_once, lost, DEFAULT_SPEC, str(tmp_path))
    assert actual == in_process(lost, DEFAULT_SPEC)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch-0.parquet", "batch-1.parquet"]  # each died once
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the dead workers
