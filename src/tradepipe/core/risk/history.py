"""The trade history protections read: exit fills replayed into closed trades with their profit ratio."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from tradepipe.core.positions.accounting import apply_fill
from tradepipe.domain.money import to_float
from tradepipe.domain.orders import Fill, Side
from tradepipe.domain.portfolio import Position
from tradepipe.domain.risk import ClosedTrade, TradeHistory

DAY_MS = 86_400_000


def closed_trades(fills: Iterable[tuple[Fill, str]]) -> tuple[ClosedTrade, ...]:
    """Replay ``(fill, intent purpose)`` pairs (oldest first); every sell becomes a closed trade.

    The profit ratio is the realised P&L of that sell, net of its own fee, over the cost basis it removed.
    """
    positions: dict[tuple[str, str], Position | None] = {}
    trades: list[ClosedTrade] = []
    for fill, purpose in fills:
        key = (fill.venue, fill.symbol)
        before = positions.get(key)
        if fill.side is Side.SELL and (before is None or before.amount < fill.amount):
            continue  # its entry lies before the replayed window: no cost basis to judge it by
        after, _ = apply_fill(before, fill)
        positions[key] = after
        if fill.side is Side.SELL and before is not None:
            cost = before.cost_basis - after.cost_basis
            pnl = (after.realized_pnl - before.realized_pnl) - (after.fees - before.fees)
            ratio = to_float(pnl / cost) if cost > 0 else 0.0
            trades.append(ClosedTrade(fill.venue, fill.symbol, fill.timestamp_ms, purpose, ratio))
    return tuple(trades)


def history(fills: Iterable[tuple[Fill, str]], equity: Sequence[tuple[int, Decimal]]) -> TradeHistory:
    return TradeHistory(closed_trades(fills), tuple((at, to_float(e)) for at, e in equity))


def day_start_equity(equity: Sequence[tuple[int, Decimal]], now_ms: int) -> Decimal | None:
    """The first equity mark of ``now_ms``'s UTC day (None before the day's first mark)."""
    day = now_ms // DAY_MS
    today = [e for at, e in equity if at // DAY_MS == day and at <= now_ms]
    return today[0] if today else None
