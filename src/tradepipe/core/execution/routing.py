"""Smart order routing: send an entry to the venue (or venues) with the best effective price.

Effective price = the book-walk average (expected slippage included) times (1 ± taker fee). Each venue takes
at most what its free balance pays for; the rest goes to the next best venue (a split). Only entries are
routed: an exit must sell where the position is. The first part keeps the intent's client order id and the
others get ids derived from it by part number, so a rerun after a crash derives the same ids again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradepipe.core import venue_mapping
from tradepipe.core.execution.ids import derived_id
from tradepipe.core.execution.pacing import Pacer
from tradepipe.core.execution.slippage import FillEstimate, amm_estimate, book_estimate
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.money import ZERO, round_down_to_step, to_decimal
from tradepipe.domain.orders import IntentPurpose, OrderIntent, Side
from tradepipe.errors import TransientVenueError, VenueRejected


@dataclass(frozen=True, slots=True)
class Leg:
    """One order to send: the intent (possibly re-routed or a split part), its estimate, why it goes there."""

    intent: OrderIntent
    estimate: FillEstimate | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Quote:
    venue: str
    estimate: FillEstimate
    effective: Decimal
    capacity: Decimal
    step: Decimal
    min_amount: Decimal
    min_cost: Decimal


class MarketsCache:
    """``load_markets`` once per venue per execution pass."""

    def __init__(self, gateways: Mapping[str, VenueGateway], pacer: Pacer) -> None:
        self._gateways, self._pacer = gateways, pacer
        self._markets: dict[str, dict[str, dict[str, Any]]] = {}

    def market(self, venue: str, symbol: str) -> dict[str, Any] | None:
        if venue not in self._markets:
            gateway = self._gateways[venue]
            self._markets[venue] = self._pacer.read(venue, gateway.load_markets, "load_markets")
        return self._markets[venue].get(symbol)


def estimate(gateway: VenueGateway, pacer: Pacer, side: Side, symbol: str, amount: Decimal) -> FillEstimate | None:
    """The expected fill of ``amount``: the AMM curve on a pool venue, the order book elsewhere."""
    if gateway.capabilities.amm_pool:
        pool = pacer.read(gateway.name, lambda: gateway.fetch_pool(symbol), "fetch_pool")  # type: ignore[attr-defined]
        return amm_estimate(pool["base_reserve"], pool["quote_reserve"], pool["fee_bps"], side, amount)
    book = pacer.read(gateway.name, lambda: gateway.fetch_order_book(symbol), "fetch_order_book")
    return book_estimate(book, side, amount)


def route(
    intent: OrderIntent,
    gateways: Mapping[str, VenueGateway],
    pacer: Pacer,
    markets: MarketsCache,
    *,
    enabled: bool = True,
    avoid: frozenset[tuple[str, str]] = frozenset(),
) -> list[Leg]:
    """The legs to send for ``intent``: itself on its venue, or re-routed/split across venues for entries."""
    home = gateways[intent.venue]
    candidates = [intent.venue]
    if enabled and intent.purpose is IntentPurpose.ENTRY:
        others = (v for v in gateways if v != intent.venue and (v, intent.symbol) not in avoid)
        candidates += sorted(v for v in others if _lists(markets, v, intent.symbol))
    if len(candidates) == 1:
        return [Leg(intent, estimate(home, pacer, intent.side, intent.symbol, intent.amount))]
    quotes = [q for v in candidates if (q := _quote(v, intent, gateways[v], pacer, markets)) is not None]
    if not quotes:
        return [Leg(intent, None, "routing: no venue quotes this symbol")]
    quotes.sort(key=lambda q: q.effective if intent.side is Side.BUY else -q.effective)
    legs, left = [], intent.amount
    for q in quotes:
        take = round_down_to_step(min(left, q.capacity, q.estimate.fillable), q.step)
        if take <= 0 or take < q.min_amount or take * q.estimate.mid < q.min_cost:
            continue
        legs.append((q, take))
        left -= take
        if left <= 0:
            break
    if not legs:  # nobody can take it: send as planned and let the venue say why
        return [Leg(intent, _home_estimate(quotes, intent.venue), "routing: no venue has the balance; sent as planned")]
    why = _why(quotes, legs, intent)
    out = []
    for i, (q, take) in enumerate(legs):
        cid = intent.client_order_id if i == 0 else derived_id(intent.client_order_id, f"part{i}")
        part = dataclasses.replace(intent, venue=q.venue, amount=take, client_order_id=cid)
        out.append(Leg(part, q.estimate if take == intent.amount else None, why))
    return out


def _home_estimate(quotes: list[_Quote], venue: str) -> FillEstimate | None:
    return next((q.estimate for q in quotes if q.venue == venue), None)


def _lists(markets: MarketsCache, venue: str, symbol: str) -> bool:
    try:
        return markets.market(venue, symbol) is not None
    except (TransientVenueError, VenueRejected):
        return False


def _quote(
    venue: str, intent: OrderIntent, gateway: VenueGateway, pacer: Pacer, markets: MarketsCache
) -> _Quote | None:
    try:
        market = markets.market(venue, intent.symbol)
        if market is None:
            return None
        est = estimate(gateway, pacer, intent.side, intent.symbol, intent.amount)
        balance = pacer.read(venue, gateway.fetch_balance, "fetch_balance")
    except (TransientVenueError, VenueRejected):
        return None
    if est is None or est.average is None:
        return None
    rules = venue_mapping.market_rules(market)
    fee = to_decimal(float(gateway.capabilities.taker_fee))
    asset = market["quote"] if intent.side is Side.BUY else market["base"]
    free = to_decimal(float((balance.get("free") or {}).get(asset) or 0.0))
    per_unit = est.average * (1 + fee) if intent.side is Side.BUY else Decimal(1)
    effective = est.average * (1 + fee) if intent.side is Side.BUY else est.average * (1 - fee)
    capacity = free / per_unit if per_unit > 0 else ZERO
    return _Quote(venue, est, effective, capacity, rules.amount_quantum, rules.min_amount, rules.min_cost)


def _why(quotes: list[_Quote], legs: list[tuple[_Quote, Decimal]], intent: OrderIntent) -> str:
    prices = ", ".join(f"{q.venue} {q.effective:.8g}" for q in quotes)
    where = " + ".join(f"{take.normalize():f} on {q.venue}" for q, take in legs)
    kind = "split" if len(legs) > 1 else "routed"
    return f"{kind}: {where} (effective price incl. fees and slippage: {prices}; planned {intent.venue})"
