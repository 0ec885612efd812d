"""Evaluation runs on an existing Dask cluster when ``dask.address`` names one."""

from __future__ import annotations

import pytest
from distributed import Client, LocalCluster

from tradepipe.adapters.compute import close_shared_clients
from tradepipe.config import Settings
from tradepipe.core.strategy import EvaluationJob, evaluate_job
from tradepipe.stages import market, start, trading

pytestmark = pytest.mark.timeout(120)


def test_evaluate_uses_the_cluster_at_the_configured_address(settings: Settings) -> None:
    ctx = start.open_cycle(settings, "run-1")
    universe = market.discover(settings, ctx)
    gate = market.gate(settings, ctx, market.fetch(settings, ctx, universe.batches))
    with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster, Client(cluster) as observer:
        remote = settings.model_copy(
            update={"dask": settings.dask.model_copy(update={"address": cluster.scheduler_address})}
        )
        decisions = trading.evaluate(remote, ctx, gate.work)
        prefixes = observer.run_on_scheduler(lambda dask_scheduler: set(dask_scheduler.task_prefixes))
        close_shared_clients()  # disconnect before the cluster goes away
    params = trading.strategy_params(settings)
    expected = [d for path, pairs in gate.work for d in evaluate_job(EvaluationJob(path, pairs), params)]
    assert decisions == expected and len(decisions) == sum(len(p) for _, p in gate.work)
    assert any(prefix.startswith("evaluate_job") for prefix in prefixes)  # the work ran on that scheduler
