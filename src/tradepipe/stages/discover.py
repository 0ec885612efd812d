"""Stage 1: discover the tradable universe from every venue, and new DEX pools from the pool feed."""

from __future__ import annotations

import logging
import statistics

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import discovery
from tradepipe.core.marketdata import ttl_ms
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import MarketSnapshot, Universe
from tradepipe.domain.pools import PoolFacts
from tradepipe.errors import TransientError, VenueRejected
from tradepipe.stages import market_sources
from tradepipe.stages.timing import timed_stage

log = logging.getLogger(__name__)


def discover(settings: Settings, ctx: CycleContext, max_symbols: int | None = None) -> Universe:
    with timed_stage(settings, ctx, "discover"):
        return discovery.build_universe(
            venue_snapshots(settings, ctx.as_of_ms),
            settings.discovery,
            as_of_ms=ctx.as_of_ms,
            max_symbols=max_symbols,
            pools=new_pools(settings, ctx.as_of_ms),
        )


def venue_snapshots(settings: Settings, as_of_ms: int) -> list[MarketSnapshot]:
    """Every venue's snapshots, from the ticker cache while fresh (TTL by timeframe and 24 h volatility)."""
    cache = market_sources.ticker_cache(settings)
    out: list[MarketSnapshot] = []
    for name, gateway in wiring.gateways(settings, as_of_ms).items():
        key = f"tickers|{settings.seed}|{name}"
        cached = cache.get(key, as_of_ms)
        if cached is None:
            cached = discovery.snapshots_of(name, gateway.load_markets(), gateway.fetch_tickers())
            ranges = [s.range_pct for s in cached if s.range_pct is not None]
            volatility = statistics.median(ranges) / 100.0 if ranges else 0.0
            cache.put(key, cached, as_of_ms, ttl_ms(settings.marketdata.timeframe, volatility))
        out += cached
    return out


def new_pools(settings: Settings, as_of_ms: int) -> tuple[PoolFacts, ...]:
    """New DEX pools, best first; a failing pool feed leaves CEX discovery alone (logged, no pools)."""
    if not settings.pools.enabled:
        return ()
    watcher = market_sources.pool_watcher(settings)  # remembers first sightings across cycles
    watcher.feed = market_sources.pool_feed(settings, as_of_ms)
    try:
        return tuple(c.facts for c in watcher.poll())
    except (TransientError, VenueRejected) as exc:
        log.warning("pool feed %s failed: %s", settings.pools.feed, exc)
        return ()
