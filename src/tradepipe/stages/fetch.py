"""Stage 2: fetch candles for every batch into the store."""

from __future__ import annotations

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import marketdata
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import Batch
from tradepipe.stages.timing import timed_stage


def fetch(settings: Settings, ctx: CycleContext, batches: tuple[Batch, ...]) -> list[marketdata.FetchResult]:
    """Every batch's candles into the store; a batch already stored for this sim time is a cache hit."""
    with timed_stage(settings, ctx, "fetch"):
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        store = wiring.store(settings)
        return [
            marketdata.fetch_batch(
                batch,
                gateways,
                store,
                timeframe=settings.marketdata.timeframe,
                bars=settings.marketdata.history_bars,
                as_of_ms=ctx.as_of_ms,
            )
            for batch in batches
        ]
