"""What a backtest returns: the equity curve, the closed trades and the usual statistics (pure numpy)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np


@dataclass(frozen=True, slots=True)
class Trade:
    """One round trip, opened by an entry fill and closed when the position is flat again (fees included)."""

    venue: str
    symbol: str
    opened_ms: int
    closed_ms: int
    entry_price: Decimal
    exit_price: Decimal  # the last sell's price
    amount: Decimal  # bought
    pnl: Decimal  # realised − every fee paid on the position
    fees: Decimal
    exit_reason: str


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order the replay placed at a bar's close, filled at the next bar's open."""

    decided_ms: int
    venue: str
    symbol: str
    side: str
    amount: Decimal
    purpose: str
    reason: str


@dataclass(frozen=True, slots=True)
class BacktestResult:
    timestamps: tuple[int, ...]  # close time of each replayed bar
    equity: tuple[float, ...]  # cash + positions at the close, per bar
    trades: tuple[Trade, ...]
    orders: tuple[OrderRecord, ...]
    starting_cash: Decimal
    final_equity: Decimal
    fees: Decimal
    total_return: float
    max_drawdown: float
    win_rate: float | None  # None without a closed trade
    sharpe_per_bar: float
    exposure: float  # mean share of equity held in positions
    open_positions: int  # still open at the end (marked at the last close, not sold)

    def summary(self) -> dict[str, object]:
        return {
            "bars": len(self.equity), "trades": len(self.trades), "orders": len(self.orders),
            "starting_cash": f"{self.starting_cash:.2f}", "final_equity": f"{self.final_equity:.2f}",
            "fees": f"{self.fees:.2f}", "total_return": round(self.total_return, 6),
            "max_drawdown": round(self.max_drawdown, 6),
            "win_rate": None if self.win_rate is None else round(self.win_rate, 4),
            "sharpe_per_bar": round(self.sharpe_per_bar, 6), "exposure": round(self.exposure, 4),
            "open_positions": self.open_positions,
        }  # fmt: skip


def max_drawdown(equity: np.ndarray) -> float:
    """The largest fall from a running peak, as a share of that peak."""
    if equity.size == 0:
        return 0.0
    peak = np.maximum.accumulate(equity)
    return float(np.max(np.where(peak > 0, 1.0 - equity / peak, 0.0)))


def sharpe_per_bar(equity: np.ndarray) -> float:
    """Mean / standard deviation (ddof 1) of the bar returns; 0 when flat or too short. Not annualised."""
    if equity.size < 3:
        return 0.0
    returns = np.diff(equity) / equity[:-1]
    sd = float(np.std(returns, ddof=1))
    return 0.0 if sd == 0 or not np.isfinite(sd) else float(np.mean(returns)) / sd


def win_rate(trades: tuple[Trade, ...]) -> float | None:
    return None if not trades else sum(t.pnl > 0 for t in trades) / len(trades)
