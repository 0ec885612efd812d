"""Portfolio facts several stages share: mark prices, the portfolio state, market rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import risk, venue_mapping
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.market import MarketRules
from tradepipe.domain.money import to_decimal
from tradepipe.domain.portfolio import Position
from tradepipe.domain.strategy import Decision, Direction


def mark_prices(gateways: Mapping[str, VenueGateway], positions: Sequence[Position]) -> dict[tuple[str, str], Decimal]:
    marks: dict[tuple[str, str], Decimal] = {}
    for venue in sorted({p.venue for p in positions}):
        symbols = [p.symbol for p in positions if p.venue == venue]
        for symbol, ticker in gateways[venue].fetch_tickers(symbols).items():
            if symbol in symbols and ticker.get("last"):
                marks[(venue, symbol)] = to_decimal(float(ticker["last"]))
    return marks


def portfolio_state(
    settings: Settings, positions: Sequence[Position], marks: Mapping[tuple[str, str], Decimal]
) -> risk.PortfolioState:
    ledger = wiring.ledger(settings)
    quote = settings.paper.quote
    cash = {venue: amount for (venue, asset), amount in ledger.cash().items() if asset == quote}
    equity = sum(cash.values(), Decimal(0)) + sum(
        (p.amount * marks.get((p.venue, p.symbol), p.average_price) for p in positions), Decimal(0)
    )
    history = ledger.equity_history()
    unresolved = ledger.unresolved_reconciliations()
    halts = [h.reason for h in ledger.active_halts()]
    return risk.PortfolioState(
        cash=cash,
        open_positions=frozenset((p.venue, p.symbol) for p in positions),
        exposures={(p.venue, p.symbol): p.amount * marks.get((p.venue, p.symbol), p.average_price) for p in positions},
        equity=equity,
        peak_equity=max([equity, *history]),
        halted="; ".join([*halts, *([f"{unresolved} unresolved reconciliation mismatch(es)"] if unresolved else [])])
        or None,
    )


def market_rules(
    gateways: Mapping[str, VenueGateway], decisions: Sequence[Decision]
) -> dict[tuple[str, str], MarketRules]:
    wanted = {(d.venue, d.symbol) for d in decisions if d.direction is Direction.LONG}
    rules: dict[tuple[str, str], MarketRules] = {}
    for venue in sorted({v for v, _ in wanted}):
        markets = gateways[venue].load_markets()
        rules.update({(venue, s): venue_mapping.market_rules(markets[s]) for v, s in wanted if v == venue})
    return rules
