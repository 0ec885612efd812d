"""Build the ranked, batched universe from venue tickers (and attach new DEX pools)."""

from __future__ import annotations

from collections.abc import Mapping

from tradepipe.config.sections import DiscoverySection
from tradepipe.core import venue_mapping
from tradepipe.core.discovery.filters import chain, first_reason
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.market import Batch, MarketSnapshot, Universe, UniverseEntry
from tradepipe.domain.pools import PoolFacts

SPREAD_COST_BPS = 10.0  # a spread this wide halves the liquidity score


def collect_snapshots(gateways: Mapping[str, VenueGateway]) -> list[MarketSnapshot]:
    """Every venue's tickers for its active spot markets."""
    snapshots: list[MarketSnapshot] = []
    for name, gateway in gateways.items():
        markets = gateway.load_markets()
        snapshots += snapshots_of(name, markets, gateway.fetch_tickers())
    return snapshots


def snapshots_of(
    venue: str, markets: Mapping[str, dict[str, object]], tickers: Mapping[str, dict[str, object]]
) -> list[MarketSnapshot]:
    out: list[MarketSnapshot] = []
    for symbol, ticker in tickers.items():
        market = markets.get(symbol)
        if market is None or not market.get("active", True):
            continue
        snap = venue_mapping.snapshot(venue, dict(ticker), dict(market))
        if snap is not None:
            out.append(snap)
    return out


def score(snap: MarketSnapshot, ranking: str) -> float:
    """Ranking score: quote volume, discounted by the spread for ``liquidity`` ranking (a wide book trades less)."""
    if ranking == "volume":
        return snap.quote_volume
    return snap.quote_volume / (1.0 + snap.spread_bps / SPREAD_COST_BPS)


def build_universe(
    snapshots: list[MarketSnapshot],
    cfg: DiscoverySection,
    *,
    as_of_ms: int,
    max_symbols: int | None = None,
    pools: tuple[PoolFacts, ...] = (),
) -> Universe:
    """Filter (the configured chain), rank (ties by venue, symbol), keep the top N, and cut into batches."""
    reason_of = first_reason(chain(cfg))
    kept: list[tuple[float, MarketSnapshot]] = []
    rejected: list[tuple[str, str, str]] = []
    for snap in snapshots:
        reason = reason_of(snap, cfg, as_of_ms)
        if reason is None:
            kept.append((score(snap, cfg.ranking), snap))
        else:
            rejected.append((snap.venue, snap.symbol, reason))
    kept.sort(key=lambda p: (-p[0], p[1].venue, p[1].symbol))
    limit = max_symbols or cfg.max_symbols
    entries = tuple(
        UniverseEntry(venue=s.venue, symbol=s.symbol, rank=i + 1, quote_volume=s.quote_volume, last=s.last, score=value)
        for i, (value, s) in enumerate(kept[:limit])
    )
    rejected.extend(
        (s.venue, s.symbol, f"rank {i + 1} beyond top {limit}") for i, (_, s) in enumerate(kept) if i >= limit
    )
    batches = tuple(
        Batch(index=i // cfg.batch_size, entries=entries[i : i + cfg.batch_size])
        for i in range(0, len(entries), cfg.batch_size)
    )
    return Universe(as_of_ms=as_of_ms, entries=entries, batches=batches, rejected=tuple(rejected), pools=pools)
