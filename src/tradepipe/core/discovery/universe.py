"""Build the ranked, batched universe from venue tickers."""

from __future__ import annotations

from collections.abc import Mapping

from tradepipe.config.sections import DiscoverySection
from tradepipe.core import venue_mapping
from tradepipe.core.discovery.filters import FILTERS
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.market import Batch, MarketSnapshot, Universe, UniverseEntry


def collect_snapshots(gateways: Mapping[str, VenueGateway]) -> list[MarketSnapshot]:
    """Every venue's tickers for its active spot markets."""
    snapshots: list[MarketSnapshot] = []
    for name, gateway in gateways.items():
        markets = gateway.load_markets()
        for symbol, ticker in gateway.fetch_tickers().items():
            market = markets.get(symbol)
            if market is None or not market.get("active", True):
                continue
            snap = venue_mapping.snapshot(name, ticker, market)
            if snap is not None:
                snapshots.append(snap)
    return snapshots


def build_universe(
    snapshots: list[MarketSnapshot], cfg: DiscoverySection, *, as_of_ms: int, max_symbols: int | None = None
) -> Universe:
    """Filter, rank by quote volume (ties by venue, symbol), keep the top N, and cut into batches."""
    kept: list[MarketSnapshot] = []
    rejected: list[tuple[str, str, str]] = []
    for snap in snapshots:
        reason = next((r for f in FILTERS.values() if (r := f(snap, cfg)) is not None), None)
        if reason is None:
            kept.append(snap)
        else:
            rejected.append((snap.venue, snap.symbol, reason))
    kept.sort(key=lambda s: (-s.quote_volume, s.venue, s.symbol))
    limit = max_symbols or cfg.max_symbols
    entries = tuple(
        UniverseEntry(venue=s.venue, symbol=s.symbol, rank=i + 1, quote_volume=s.quote_volume, last=s.last)
        for i, s in enumerate(kept[:limit])
    )
    rejected.extend((s.venue, s.symbol, f"rank {i + 1} beyond top {limit}") for i, s in enumerate(kept) if i >= limit)
    batches = tuple(
        Batch(index=i // cfg.batch_size, entries=entries[i : i + cfg.batch_size])
        for i in range(0, len(entries), cfg.batch_size)
    )
    return Universe(as_of_ms=as_of_ms, entries=entries, batches=batches, rejected=tuple(rejected))
