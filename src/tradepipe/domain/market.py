"""Market values: what discovery finds and what fetch stores."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradepipe.domain.pools import PoolFacts


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """One venue's ticker for one symbol at discovery time."""

    venue: str
    symbol: str
    base: str
    quote: str
    last: float
    bid: float
    ask: float
    quote_volume: float
    high: float | None = None  # 24 h high and low, when the venue reports them
    low: float | None = None
    listed_at_ms: int | None = None  # when the market was listed, when the venue reports it

    @property
    def spread_bps(self) -> float:
        mid = (self.bid + self.ask) / 2
        return (self.ask - self.bid) / mid * 10_000 if mid > 0 else float("inf")

    @property
    def range_pct(self) -> float | None:
        """24 h high-low range as % of the last price (a volatility measure); None when unknown."""
        if self.high is None or self.low is None or self.last <= 0:
            return None
        return (self.high - self.low) / self.last * 100.0


@dataclass(frozen=True, slots=True)
class UniverseEntry:
    venue: str
    symbol: str
    rank: int
    quote_volume: float
    last: float
    score: float = 0.0  # the ranking score (liquidity-adjusted quote volume by default)


@dataclass(frozen=True, slots=True)
class Batch:
    """A slice of the universe processed together (one fetch call, one Dask task)."""

    index: int
    entries: tuple[UniverseEntry, ...]


@dataclass(frozen=True, slots=True)
class Universe:
    as_of_ms: int
    entries: tuple[UniverseEntry, ...]
    batches: tuple[Batch, ...]
    rejected: tuple[tuple[str, str, str], ...] = ()  # (venue, symbol, reason)
    pools: tuple[PoolFacts, ...] = ()  # new DEX pools from the pool watcher, best first (sniper candidates)


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A small reference to candles on disk: passed between tasks instead of frames."""

    path: str
    content_hash: str
    timeframe: str
    batch_index: int
    symbols: tuple[tuple[str, str], ...]  # (venue, symbol)
    rows: int
    as_of_ms: int


@dataclass(frozen=True, slots=True)
class MarketRules:
    """A venue's trading rules for one symbol, applied last when sizing."""

    amount_quantum: Decimal
    price_quantum: Decimal
    min_amount: Decimal
    min_cost: Decimal
    taker_fee: Decimal
