"""Thin tasks of the emergency-stop and reconcile flows (the cycle's own manage/reconcile tasks are in stages)."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tasks.policy import retry_transient
from tradepipe.config import Settings
from tradepipe.core import execution
from tradepipe.core import reconcile as rec
from tradepipe.core.positions.emergency import CancelReport
from tradepipe.domain.cycle import CycleContext
from tradepipe.stages import emergency, service
from tradepipe.stages import reconcile as reconcile_stage


@task(name="open-service-run", cache_policy=NO_CACHE)
def open_run(settings: Settings, run_id: str, mode: str) -> CycleContext:
    return service.open_service_run(settings, run_id, mode)


@task(name="halt-entries", cache_policy=NO_CACHE)
def halt_entries(settings: Settings, ctx: CycleContext, reason: str) -> int:
    return emergency.halt_entries(settings, ctx, reason)


@task(name="cancel-open-orders", retries=0, cache_policy=NO_CACHE)  # a cancel is looked up, never resent blindly
def cancel_orders(settings: Settings, ctx: CycleContext) -> CancelReport:
    return emergency.cancel_orders(settings, ctx)


@task(name="close-positions", retries=0, cache_policy=NO_CACHE)  # placement is never retried
def close_positions(settings: Settings, ctx: CycleContext) -> execution.ExecutionReport:
    return emergency.close_positions(settings, ctx)


@task(
    name="reconcile-accounts",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def reconcile_accounts(settings: Settings, ctx: CycleContext, account: str | None) -> list[rec.ReconciliationResult]:
    return reconcile_stage.reconcile(settings, ctx, reconcile_stage.default_accounts(settings, ctx, account))


@task(name="finish-service-run", cache_policy=NO_CACHE)
def finish_run(settings: Settings, ctx: CycleContext, summary: dict[str, Any], title: str) -> dict[str, Any]:
    service.finish_service_run(settings, ctx, summary)
    lines = [f"# {title} — `{ctx.run_id}`", "", "| key | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in summary.items()]
    create_markdown_artifact("\n".join(lines) + "\n", key=title.lower().replace(" ", "-"), description=title)
    return summary
