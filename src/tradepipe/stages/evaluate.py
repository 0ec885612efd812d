"""Stage 4: evaluate strategies on Dask, one task per batch."""

from __future__ import annotations

from collections.abc import Sequence

from tradepipe.adapters.compute import map_batches, shared_client
from tradepipe.config import Settings
from tradepipe.core.strategy import EvaluationJob, StrategyParams, evaluate_job
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.strategy import Decision
from tradepipe.stages.timing import timed_stage


def strategy_params(settings: Settings) -> StrategyParams:
    s = settings.strategy
    return StrategyParams(
        fast=s.fast, slow=s.slow, atr_period=s.atr_period, min_atr_pct=s.min_atr_pct, max_atr_pct=s.max_atr_pct
    )


def evaluate(
    settings: Settings, ctx: CycleContext, work: Sequence[tuple[str, tuple[tuple[str, str], ...]]]
) -> list[Decision]:
    """One Dask task per batch on the process's LocalCluster (kept across cycles) or the cluster at dask.address."""
    with timed_stage(settings, ctx, "evaluate"):
        jobs = [EvaluationJob(path, pairs) for path, pairs in work]
        if not jobs:
            return []
        cfg = settings.dask
        client = shared_client(cfg.address or None, cfg.n_workers, cfg.threads_per_worker)
        batches = map_batches(client, evaluate_job, jobs, strategy_params(settings))
        return [d for batch in batches for d in batch]
