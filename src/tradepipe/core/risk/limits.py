"""Portfolio limits: halts, max drawdown, max daily loss, max open positions and exposure caps.

Each check is a pure function returning ``None`` (pass) or a ``Denial``; exposure caps return the room left
in quote currency, so sizing can cut an entry down to the tightest one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from tradepipe.config.sections import RiskSection
from tradepipe.core.positions.accounting import base_and_quote
from tradepipe.domain.money import to_float
from tradepipe.domain.risk import PortfolioState
from tradepipe.domain.strategy import Denial


def portfolio_denial(state: PortfolioState, cfg: RiskSection) -> Denial | None:
    """Checks that refuse every entry at once: a halt, max drawdown, max daily loss."""
    if state.halted:
        return Denial("halted", state.halted)
    if state.drawdown >= cfg.max_drawdown:
        return Denial("max_drawdown", f"drawdown {state.drawdown:.1%} ≥ {cfg.max_drawdown:.1%}")
    if state.daily_loss >= cfg.max_daily_loss:
        return Denial("max_daily_loss", f"loss today {state.daily_loss:.1%} ≥ {cfg.max_daily_loss:.1%}")
    return None


def open_positions_denial(open_count: int, cfg: RiskSection) -> Denial | None:
    if open_count >= cfg.max_open_positions:
        return Denial("max_open_positions", f"{open_count} open ≥ {cfg.max_open_positions}")
    return None


def confidence_denial(score: float, cfg: RiskSection) -> Denial | None:
    if score < cfg.min_confidence:
        return Denial("min_confidence", f"score {score:.3f} < {cfg.min_confidence}")
    return None


@dataclass(frozen=True, slots=True)
class Room:
    """How much more quote an entry may add under one rule."""

    rule: str
    room: float
    cap: float


class ExposureBook:
    """Exposure (market value in quote) per symbol, venue and quote currency; grows as entries are approved."""

    def __init__(self, exposures: Mapping[tuple[str, str], float], equity: float, cfg: RiskSection) -> None:
        self.by_symbol: dict[str, float] = defaultdict(float)
        self.by_venue: dict[str, float] = defaultdict(float)
        self.by_quote: dict[str, float] = defaultdict(float)
        self.equity = max(equity, 0.0)
        self.caps = (
            cfg.max_symbol_exposure_pct * self.equity,
            cfg.max_venue_exposure_pct * self.equity,
            cfg.max_quote_exposure_pct * self.equity,
        )
        for (venue, symbol), value in exposures.items():
            self.add(venue, symbol, value)

    @classmethod
    def from_state(cls, state: PortfolioState, cfg: RiskSection) -> ExposureBook:
        exposures = {k: to_float(v) for k, v in state.exposures.items()}
        return cls(exposures, to_float(state.equity), cfg)

    def add(self, venue: str, symbol: str, value: float) -> None:
        self.by_symbol[symbol] += value
        self.by_venue[venue] += value
        self.by_quote[base_and_quote(symbol)[1]] += value

    def tightest(self, venue: str, symbol: str) -> Room:
        """The smallest room among the symbol, venue and quote-currency caps."""
        symbol_cap, venue_cap, quote_cap = self.caps
        room = Room("max_symbol_exposure", symbol_cap - self.by_symbol.get(symbol, 0.0), symbol_cap)
        venue_room = venue_cap - self.by_venue.get(venue, 0.0)
        if venue_room < room.room:
            room = Room("max_venue_exposure", venue_room, venue_cap)
        quote_room = quote_cap - self.by_quote.get(base_and_quote(symbol)[1], 0.0)
        if quote_room < room.room:
            room = Room("max_quote_exposure", quote_room, quote_cap)
        return room
