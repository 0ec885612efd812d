"""Evaluation runs on an existing Dask cluster when ``dask.address`` names one."""

from __future__ import annotations

import pytest
from distributed import Client, LocalCluster

from tradepipe.adapters.compute import close_shared_clients
from tradepipe.config import Settings
from tradepipe.core.strategy import EvaluationJob, evaluate_job
from tradepipe.stages import discover as discover_stage
from tradepipe.stages import evaluate as evaluate_stage
from tradepipe.stages import fetch as fetch_stage
from tradepipe.stages import gate as gate_stage
from tradepipe.stages import start

pytestmark = pytest.mark.timeout(120)


def test_evaluate_uses_the_cluster_at_the_configured_address(settings: Settings) -> None:
    ctx = start.open_cycle(settings, "run-1")
    universe = discover_stage.discover(settings, ctx)
    gate = gate_stage.gate(settings, ctx, fetch_stage.fetch(settings, ctx, universe.batches))
    with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster, Client(cluster) as observer:
        remote = settings.model_copy(
            update={"dask": settings.dask.model_copy(update={"address": cluster.scheduler_address})}
        )
        decisions = evaluate_stage.evaluate(remote, ctx, gate.work)
        prefixes = observer.run_on_scheduler(lambda dask_scheduler: set(dask_scheduler.task_prefixes))
        close_shared_clients()  # disconnect before the cluster goes away
    params = evaluate_stage.strategy_params(settings)
    expected = [d for path, pairs in gate.work for d in evaluate_job(EvaluationJob(path, pairs), params)]
    expected = evaluate_stage.select_candidates(settings, ctx, expected)  # the stage also filters candidates
    assert decisions == expected and len(decisions) == sum(len(p) for _, p in gate.work)
    assert any(prefix.startswith("evaluate_job") for prefix in prefixes)  # the work ran on that scheduler
