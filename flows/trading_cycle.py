"""One paper trading cycle: discover → fetch → gate → evaluate → size → execute → manage → reconcile → report."""

from __future__ import annotations

import uuid

from prefect import flow

from tasks import stages
from tasks.hooks import observe_failed_cycle
from tradepipe.config import Settings, load_settings
from tradepipe.core import marketdata
from tradepipe.core.reporting import CycleSummary


@flow(name="trading-cycle", log_prints=False, on_failure=[observe_failed_cycle])
def trading_cycle(settings: Settings | None = None, max_symbols: int | None = None) -> CycleSummary:
    settings = settings or load_settings()
    ctx = stages.open_cycle(settings, f"run-{uuid.uuid4().hex[:12]}")
    try:
        universe = stages.discover(settings, ctx, max_symbols)
        fetched = stages.fetch(settings, ctx, universe)
        gate = stages.gate(settings, ctx, fetched, universe.pools)
        decisions = stages.evaluate(settings, ctx, gate)
        sized = stages.size(settings, ctx, decisions, gate)
        entries = stages.execute(settings, ctx, sized)
    except Exception:
        stages.manage(settings, ctx)  # a failed entry path never keeps stop-loss and take-profit from running
        raise
    exits = stages.manage(settings, ctx)
    reconciliations = stages.reconcile_ledger(settings, ctx)
    return stages.report(
        settings,
        ctx,
        universe_size=len(universe.entries),
        batches=len(universe.batches),
        cache_hits=sum(f.cache_hit for f in fetched),
        market_data=marketdata.summarize(fetched),
        gate=gate,
        signals=sum(d.direction.value == "long" for d in decisions),
        entries=entries,
        exits=exits,
        reconciliations=reconciliations,
    )
