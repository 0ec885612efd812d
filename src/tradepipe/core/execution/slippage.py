"""Slippage guard: estimate an order's fill price before sending it, and what it cost after.

CEX: walk the venue's order book. DEX: walk the constant-product curve (``tradepipe.core.amm``). Slippage is
the average fill price against the mid, in bps, positive when it costs us (a buy above, a sell below the mid).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradepipe.core import amm
from tradepipe.core.execution.pacing import ExecutionPolicy
from tradepipe.domain.money import ZERO, to_decimal
from tradepipe.domain.orders import Fill, OrderIntent, OrderType, Side, TimeInForce

INF = float("inf")


@dataclass(frozen=True, slots=True)
class FillEstimate:
    mid: Decimal
    average: Decimal | None  # None when nothing can be filled
    fillable: Decimal  # how much of the amount the book/curve can take
    slippage_bps: float  # average vs mid, adverse positive; inf when nothing or not all can be filled

    def price_at_band(self, side: Side, bps: float) -> Decimal:
        """The worst price within ``bps`` of the mid on our side: the limit a guarded order gets."""
        factor = to_decimal(round(bps / 1e4, 12))
        return self.mid * (1 + factor) if side is Side.BUY else self.mid * (1 - factor)


def book_estimate(book: Mapping[str, Any], side: Side, amount: Decimal) -> FillEstimate | None:
    """Walk the asks (buy) or bids (sell) of a ccxt order book; None when either side is empty."""
    bids, asks = book.get("bids") or [], book.get("asks") or []
    if not bids or not asks:
        return None
    mid = (to_decimal(float(bids[0][0])) + to_decimal(float(asks[0][0]))) / 2
    left, cost = amount, ZERO
    for level in asks if side is Side.BUY else bids:
        if left <= 0:
            break
        take = min(left, to_decimal(float(level[1])))
        cost += take * to_decimal(float(level[0]))
        left -= take
    return _estimate(mid, side, amount - left, cost, complete=left <= 0)


def amm_estimate(
    base_reserve: float, quote_reserve: float, fee_bps: float, side: Side, amount: Decimal
) -> FillEstimate | None:
    """The same estimate on a constant-product pool (fee included in the price, as a swap pays it)."""
    if base_reserve <= 0 or quote_reserve <= 0:
        return None
    mid = to_decimal(quote_reserve / base_reserve)
    qty = float(amount)
    if side is Side.BUY:
        quote_in = amm.amount_in_for(qty, quote_reserve, base_reserve, fee_bps)
        if quote_in == INF:
            return FillEstimate(mid, None, ZERO, INF)
        return _estimate(mid, side, amount, to_decimal(quote_in), complete=True)
    quote_out = amm.amount_out(qty, base_reserve, quote_reserve, fee_bps)
    return _estimate(mid, side, amount, to_decimal(quote_out), complete=quote_out > 0)


def _estimate(mid: Decimal, side: Side, filled: Decimal, cost: Decimal, *, complete: bool) -> FillEstimate:
    if filled <= 0 or mid <= 0:
        return FillEstimate(mid, None, ZERO, INF)
    average = cost / filled
    bps = slippage_bps(side, average, mid)
    return FillEstimate(mid, average, filled, bps if complete else INF)


def slippage_bps(side: Side, average: Decimal, reference: Decimal) -> float:
    """Adverse distance of ``average`` from ``reference`` in bps (negative = better than the reference)."""
    sign = 1 if side is Side.BUY else -1
    return sign * float((average - reference) / reference) * 1e4


def realised_bps(side: Side, fills: Sequence[Fill], reference: Decimal | None) -> float | None:
    """Realised slippage of ``fills`` against ``reference`` (the mid when we sent it); None without fills."""
    qty = sum((f.amount for f in fills), ZERO)
    if reference is None or reference <= 0 or qty <= 0:
        return None
    return round(slippage_bps(side, sum((f.amount * f.price for f in fills), ZERO) / qty, reference), 4)


@dataclass(frozen=True, slots=True)
class Guarded:
    intent: OrderIntent | None  # None = denied
    note: str  # why the guard changed or denied it ("" when it passed)


def guard(intent: OrderIntent, estimate: FillEstimate | None, policy: ExecutionPolicy) -> Guarded:
    """Pass, convert to an IOC limit at the slippage band, or deny — by ``policy.slippage_action``."""
    if intent.order_type is not OrderType.MARKET:
        return Guarded(intent, "")
    if estimate is None:
        return Guarded(None, "slippage guard: the venue shows no book for this symbol")
    limit = policy.max_slippage_bps
    if estimate.slippage_bps <= limit:
        return Guarded(intent, "")
    expected = "the book cannot fill it" if estimate.slippage_bps == INF else f"{estimate.slippage_bps:.1f} bps"
    if policy.slippage_action == "deny":
        return Guarded(None, f"slippage guard: expected {expected} > {limit:g} bps; denied")
    price = estimate.price_at_band(intent.side, limit)
    converted = dataclasses.replace(
        intent, order_type=OrderType.LIMIT, limit_price=price, time_in_force=TimeInForce.IOC
    )
    return Guarded(converted, f"slippage guard: expected {expected} > {limit:g} bps; sent as IOC limit {price:.8g}")
