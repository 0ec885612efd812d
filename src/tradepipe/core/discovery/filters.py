"""Universe filters, registered by name (as freqtrade's pairlists): each returns a reason to reject, or None."""

from __future__ import annotations

from collections.abc import Callable

from tradepipe.config.sections import DiscoverySection
from tradepipe.domain.market import MarketSnapshot

Filter = Callable[[MarketSnapshot, DiscoverySection], str | None]
FILTERS: dict[str, Filter] = {}


def register(name: str) -> Callable[[Filter], Filter]:
    def add(fn: Filter) -> Filter:
        FILTERS[name] = fn
        return fn

    return add


@register("quote")
def quote_filter(s: MarketSnapshot, cfg: DiscoverySection) -> str | None:
    return None if s.quote == cfg.quote else f"quote {s.quote} is not {cfg.quote}"


@register("blacklist")
def blacklist_filter(s: MarketSnapshot, cfg: DiscoverySection) -> str | None:
    return "blacklisted" if s.symbol in cfg.blacklist or s.base in cfg.blacklist else None


@register("price")
def price_filter(s: MarketSnapshot, cfg: DiscoverySection) -> str | None:
    return None if s.last >= cfg.min_price else f"price {s.last:g} < {cfg.min_price:g}"


@register("volume")
def volume_filter(s: MarketSnapshot, cfg: DiscoverySection) -> str | None:
    if s.quote_volume >= cfg.min_quote_volume:
        return None
    return f"quote volume {s.quote_volume:,.0f} < {cfg.min_quote_volume:,.0f}"


@register("spread")
def spread_filter(s: MarketSnapshot, cfg: DiscoverySection) -> str | None:
    return None if s.spread_bps <= cfg.max_spread_bps else f"spread {s.spread_bps:.1f} bps > {cfg.max_spread_bps:g}"
