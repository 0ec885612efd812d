"""A whole cycle evaluates on an existing Dask cluster: a real ``dask scheduler`` and two ``dask worker``
processes on localhost, reached through ``dask.address``; the report artifact names the cluster and its dashboard.

(tests/integration/test_dask_by_address.py covers the evaluate stage alone against an in-process cluster.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from distributed import Client

from tasks.artifacts import _cluster_markdown
from tests.conftest import make_settings
from tests.integration.test_cycle_on_both_databases import run_cycle
from tradepipe import wiring
from tradepipe.adapters.compute import close_shared_clients
from tradepipe.adapters.compute.dask_cluster import shared_cluster_info

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # a cold cycle: ~40-70 s on 2 busy cores
DASK = str(Path(sys.executable).with_name("dask"))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler on a free port (address read from its scheduler file) and two single-thread worker processes."""
    scheduler_file = tmp_path / "scheduler.json"
    log = (tmp_path / "dask.log").open("wb")
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
         "--scheduler-file", str(scheduler_file)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    processes = [scheduler]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = [DASK, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
        processes += [subprocess.Popen(worker, stdout=log, stderr=subprocess.STDOUT) for _ in range(2)]
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        close_shared_clients()
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def test_a_cycle_runs_its_evaluation_on_the_cluster_at_the_configured_address(tmp_path: Path, cluster: str) -> None:
    settings = make_settings(tmp_path / "state", discovery={"max_symbols": 20}, dask={"address": cluster})
    summary = run_cycle(settings, "run-1")

    with Client(cluster, timeout=30) as observer:
        prefixes = observer.run_on_scheduler(lambda dask_scheduler: dict(dask_scheduler.task_prefixes))
        processed = observer.run(lambda dask_worker: len(dask_worker.state.log) > 0)
    assert "evaluate_job" in prefixes  # the strategy ran as tasks of that scheduler
    assert len(processed) == 2 and all(processed.values())  # on both worker processes
    assert summary.universe == 20 and wiring.ledger(settings).stage_seconds("run-1")["evaluate"] > 0

    (info,) = shared_cluster_info()
    assert info["scheduler"] == cluster and info["workers"] == "2"
    assert info["dashboard"].startswith("http://127.0.0.1:") and info["dashboard"].endswith("/status")
    assert httpx.get(info["dashboard"], timeout=10).status_code < 500  # the scheduler's dashboard answers
    markdown = _cluster_markdown()
    assert f"`{cluster}`" in markdown and info["dashboard"] in markdown
