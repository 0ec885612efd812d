"""The nine stage tasks of a trading cycle (plus opening it)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks import artifacts, quality_artifacts
from tasks.policy import retry_transient
from tradepipe.config import Settings
from tradepipe.core import execution, marketdata, reconcile, risk
from tradepipe.core.reporting import CycleSummary
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import Universe
from tradepipe.domain.pools import PoolFacts
from tradepipe.domain.strategy import Decision
from tradepipe.stages import discover as discover_stage
from tradepipe.stages import evaluate as evaluate_stage
from tradepipe.stages import execute as execute_stage
from tradepipe.stages import fetch as fetch_stage
from tradepipe.stages import gate as gate_stage
from tradepipe.stages import manage as manage_stage
from tradepipe.stages import reconcile as reconcile_stage
from tradepipe.stages import report as report_stage
from tradepipe.stages import size as size_stage
from tradepipe.stages import start


@task(name="open-cycle", cache_policy=NO_CACHE)
def open_cycle(settings: Settings, run_id: str) -> CycleContext:
    ctx = start.open_cycle(settings, run_id)  # the run lock first: a run refused by it writes nothing
    gate_stage.prewarm(settings)  # GX imports in seconds: overlap it with discover and fetch
    return ctx


@task(
    name="discover",
    retries=3,
    retry_delay_seconds=[1, 2, 4],  # exponential backoff with jitter, transient errors only
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def discover(settings: Settings, ctx: CycleContext, max_symbols: int | None = None) -> Universe:
    return discover_stage.discover(settings, ctx, max_symbols)


@task(
    name="fetch",
    retries=3,
    retry_delay_seconds=[1, 2, 4],  # exponential backoff with jitter, transient errors only
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def fetch(settings: Settings, ctx: CycleContext, universe: Universe) -> list[marketdata.FetchResult]:
    return fetch_stage.fetch(settings, ctx, universe.batches)


@task(name="gate", cache_policy=NO_CACHE)
def gate(
    settings: Settings, ctx: CycleContext, fetched: list[marketdata.FetchResult], pools: tuple[PoolFacts, ...] = ()
) -> gate_stage.GateOutcome:
    outcome = gate_stage.gate(settings, ctx, fetched, pools=pools)
    quality_artifacts.publish(outcome, ctx.run_id)  # links to the HTML report and GX Data Docs, worst symbols
    return outcome


@task(name="evaluate", retries=1, retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def evaluate(settings: Settings, ctx: CycleContext, gate_outcome: gate_stage.GateOutcome) -> list[Decision]:
    return evaluate_stage.evaluate(settings, ctx, gate_outcome.work, gate_outcome.quality_factor())


@task(name="size", cache_policy=NO_CACHE)
def size(
    settings: Settings, ctx: CycleContext, decisions: list[Decision], gate_outcome: gate_stage.GateOutcome
) -> risk.SizingOutcome:
    datasets = [path for path, _ in gate_outcome.work]
    return size_stage.size(settings, ctx, decisions, gate_outcome.quality_factor(), datasets)


@task(name="execute", retries=0, cache_policy=NO_CACHE)  # placement is never retried: idempotency lives in intents
def execute(settings: Settings, ctx: CycleContext, outcome: risk.SizingOutcome) -> execution.ExecutionReport:
    return execute_stage.execute(settings, ctx, outcome)


@task(name="manage", retries=0, cache_policy=NO_CACHE)
def manage(settings: Settings, ctx: CycleContext) -> execution.ExecutionReport:
    return manage_stage.manage(settings, ctx)


@task(name="reconcile", cache_policy=NO_CACHE)
def reconcile_ledger(settings: Settings, ctx: CycleContext) -> list[reconcile.ReconciliationResult]:
    return reconcile_stage.reconcile(settings, ctx)


@task(name="report", cache_policy=NO_CACHE)
def report(settings: Settings, ctx: CycleContext, **parts: object) -> CycleSummary:
    summary = report_stage.report(settings, ctx, **parts)  # type: ignore[arg-type]
    artifacts.publish(summary)  # report + Dask dashboard link, metrics table, alert events
    return summary
