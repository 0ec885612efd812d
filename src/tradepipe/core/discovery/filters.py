"""Universe filters, registered by name (as freqtrade's pairlists) and chained in the order ``discovery.filters``
lists them: each is a small class whose ``reject`` returns a readable reason, or None to keep the snapshot.

Adding a filter is a new class with ``@register`` and its name in the config list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tradepipe.config.sections import DiscoverySection
from tradepipe.domain.market import MarketSnapshot
from tradepipe.errors import ConfigurationError

DAY_MS = 86_400_000


class UniverseFilter(Protocol):
    name: str  # set once in the class body

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None: ...


FILTERS: dict[str, type[UniverseFilter]] = {}


def register(cls: type[UniverseFilter]) -> type[UniverseFilter]:
    FILTERS[cls.name] = cls
    return cls


def chain(cfg: DiscoverySection) -> list[UniverseFilter]:
    """The configured filters, in order; an unknown name is a configuration error naming the field."""
    unknown = [n for n in cfg.filters if n not in FILTERS]
    if unknown:
        raise ConfigurationError(f"discovery.filters: unknown filter(s) {unknown}; allowed: {sorted(FILTERS)}")
    return [FILTERS[name]() for name in cfg.filters]


def first_reason(filters: list[UniverseFilter]) -> Callable[[MarketSnapshot, DiscoverySection, int], str | None]:
    def reason(s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        return next((r for f in filters if (r := f.reject(s, cfg, as_of_ms)) is not None), None)

    return reason


@register
class QuoteFilter:
    name = "quote"

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        return None if s.quote == cfg.quote else f"quote {s.quote} is not {cfg.quote}"


@register
class BlacklistFilter:
    name = "blacklist"

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        return "blacklisted" if s.symbol in cfg.blacklist or s.base in cfg.blacklist else None


@register
class WhitelistFilter:
    name = "whitelist"

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        if not cfg.whitelist or s.symbol in cfg.whitelist or s.base in cfg.whitelist:
            return None
        return "not whitelisted"


@register
class PriceFilter:
    name = "price"

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        if s.last < cfg.min_price:
            return f"price {s.last:g} < {cfg.min_price:g}"
        if cfg.max_price > 0 and s.last > cfg.max_price:
            return f"price {s.last:g} > {cfg.max_price:g}"
        return None


@register
class VolumeFilter:
    name = "volume"

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        if s.quote_volume >= cfg.min_quote_volume:
            return None
        return f"quote volume {s.quote_volume:,.0f} < {cfg.min_quote_volume:,.0f}"


@register
class SpreadFilter:
    name = "spread"

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        return None if s.spread_bps <= cfg.max_spread_bps else f"spread {s.spread_bps:.1f} bps > {cfg.max_spread_bps:g}"


@register
class AgeFilter:
    name = "age"

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        if cfg.min_age_days <= 0 or s.listed_at_ms is None:
            return None
        age_days = (as_of_ms - s.listed_at_ms) / DAY_MS
        return None if age_days >= cfg.min_age_days else f"listed {age_days:.1f} days ago < {cfg.min_age_days:g}"


@register
class VolatilityFilter:
    name = "volatility"

    def reject(self, s: MarketSnapshot, cfg: DiscoverySection, as_of_ms: int) -> str | None:
        vol = s.range_pct
        if vol is None or (cfg.min_volatility_pct <= 0 and cfg.max_volatility_pct <= 0):
            return None
        if vol < cfg.min_volatility_pct:
            return f"24h range {vol:.2f}% < {cfg.min_volatility_pct:g}%"
        if cfg.max_volatility_pct > 0 and vol > cfg.max_volatility_pct:
            return f"24h range {vol:.2f}% > {cfg.max_volatility_pct:g}%"
        return None
