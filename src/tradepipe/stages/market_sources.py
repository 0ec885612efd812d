"""What the discover and fetch stages (and ``tradepipe data``) share: the source router, the window cache, the
ccxt read-only sources and the pool feed, built from ``Settings``.

Breakers and the in-memory window cache live for the process (one per settings), so a warm cycle reuses them;
the gateways themselves are the cycle's (one simulated market per sim time).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from tradepipe import wiring
from tradepipe.adapters.storage.cache import RecordList, TtlCache
from tradepipe.clock import SimClock, timeframe_ms
from tradepipe.config import Settings
from tradepipe.core.discovery.pools import PoolFeed, PoolWatcher
from tradepipe.core.marketdata import CircuitBreaker, ConsensusPolicy, RetryPolicy, SourceRouter, WindowCache
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.market import MarketSnapshot
from tradepipe.errors import ConfigurationError


@lru_cache(maxsize=4)
def _breakers(settings: Settings) -> dict[str, CircuitBreaker]:
    return {}


@lru_cache(maxsize=4)
def window_cache(settings: Settings) -> WindowCache:
    """The process's candle windows over the settings' history store."""
    return WindowCache(wiring.store(settings), keep_bars=settings.marketdata.history_bars + 64)


@lru_cache(maxsize=4)
def ccxt_sources(settings: Settings) -> dict[str, VenueGateway]:
    """Read-only ccxt venues named in ``marketdata.ccxt_sources`` (public endpoints; they reach the network)."""
    if not settings.marketdata.ccxt_sources:
        return {}
    from tradepipe.adapters.venues.ccxt_gateway import CcxtGateway  # ccxt imports in ~0.4 s: only when used

    return {name: CcxtGateway.from_env(name) for name in settings.marketdata.ccxt_sources}


def router(settings: Settings, gateways: Mapping[str, VenueGateway]) -> SourceRouter:
    """The source router over the cycle's venues plus the ccxt sources, with the process's breakers."""
    md = settings.marketdata
    sources = {**gateways, **ccxt_sources(settings)}
    unknown = sorted(set(md.fallback_sources) - set(sources))
    if unknown:
        raise ConfigurationError(
            f"marketdata.fallback_sources: unknown source(s) {unknown}; allowed: {sorted(sources)}"
        )
    return SourceRouter(
        sources,
        fallback_order=md.fallback_sources,
        breakers=_breakers(settings),
        threshold=md.breaker_failures,
        cooldown_s=md.breaker_cooldown_s,
        retry=RetryPolicy(attempts=md.retry_attempts),
        seed=settings.seed,
    )


def consensus_policy(settings: Settings) -> ConsensusPolicy:
    md = settings.marketdata
    return ConsensusPolicy(threshold_bps=md.consensus_threshold_bps, max_sources=md.consensus_sources)


def view_horizon_ms(settings: Settings, as_of_ms: int) -> int:
    """Batch views older than this sim time are pruned."""
    return as_of_ms - settings.marketdata.keep_view_bars * timeframe_ms(settings.marketdata.timeframe)


@lru_cache(maxsize=4)
def pool_watcher(settings: Settings) -> PoolWatcher:
    """The process's pool watcher (its feed is set per cycle by the discover stage)."""
    return PoolWatcher(
        pool_feed(settings, wiring.first_as_of_ms(settings)),
        max_age_s=settings.pools.max_age_s,
        max_candidates=settings.pools.max_candidates,
    )


def pool_feed(settings: Settings, as_of_ms: int) -> PoolFeed:
    """The configured pool feed: the simulator's (deterministic per seed) or GeckoTerminal's public API."""
    cfg = settings.pools
    if cfg.feed == "geckoterminal":
        from tradepipe.adapters.feeds.geckoterminal import GeckoTerminalFeed

        return GeckoTerminalFeed(network=cfg.network, timeout_s=cfg.http_timeout_s)
    from tradepipe.adapters.venues.sim_pools import SimPoolFeed

    return SimPoolFeed(settings.seed, SimClock(as_of_ms), start_ms=wiring.SIM_START_MS)


@lru_cache(maxsize=4)
def ticker_cache(settings: Settings) -> TtlCache[list[MarketSnapshot]]:
    """Venue snapshots cached in memory and under ``state_dir/cache`` (JSON), keyed per venue, expiring in sim time."""
    return TtlCache(Path(settings.state_dir) / "cache" / "tickers", RecordList(MarketSnapshot))
