"""Stage 2: fetch candles for every batch into the store (routed, incremental, reconciled)."""

from __future__ import annotations

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import marketdata
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import Batch
from tradepipe.stages import market_sources
from tradepipe.stages.timing import timed_stage


def fetch(settings: Settings, ctx: CycleContext, batches: tuple[Batch, ...]) -> list[marketdata.FetchResult]:
    """Every batch's candles into the store; a batch already stored for this sim time is a cache hit."""
    with timed_stage(settings, ctx, "fetch"):
        store = wiring.store(settings)
        router = market_sources.router(settings, wiring.gateways(settings, ctx.as_of_ms))
        cache = market_sources.window_cache(settings)
        policy = market_sources.consensus_policy(settings)
        results = [
            marketdata.fetch_batch(
                batch,
                router,
                store,
                cache,
                timeframe=settings.marketdata.timeframe,
                bars=settings.marketdata.history_bars,
                as_of_ms=ctx.as_of_ms,
                consensus=policy,
            )
            for batch in batches
        ]
        store.prune_views(market_sources.view_horizon_ms(settings, ctx.as_of_ms))
        return results
