"""Risk values: the portfolio state stage 5 judges against, protection locks and the trade history behind them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

ANY = "*"  # a lock's venue or symbol that matches every venue or symbol


@dataclass(frozen=True, slots=True)
class Lock:
    """A protection's refusal of new entries in a scope (venue, symbol; ``*`` = all) until ``until_ms``."""

    protection: str
    venue: str
    symbol: str
    reason: str
    since_ms: int
    until_ms: int

    def active(self, now_ms: int) -> bool:
        return self.since_ms <= now_ms < self.until_ms

    def covers(self, venue: str, symbol: str) -> bool:
        return self.venue in (ANY, venue) and self.symbol in (ANY, symbol)

    @property
    def scope(self) -> tuple[str, str, str]:
        return self.protection, self.venue, self.symbol


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """One exit fill, with the profit it realised relative to the cost of what it sold."""

    venue: str
    symbol: str
    closed_at_ms: int
    purpose: str  # the exit intent's purpose: stop_loss, take_profit, exit, ...
    profit_ratio: float


@dataclass(frozen=True, slots=True)
class TradeHistory:
    """What protections look at: closed trades and equity marks ``(as_of_ms, equity)``, both oldest first."""

    trades: tuple[ClosedTrade, ...] = ()
    equity: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True, slots=True)
class PortfolioState:
    """The ledger's view when sizing: cash per venue, open positions and their value, locks and halts."""

    cash: Mapping[str, Decimal]  # quote cash per venue
    open_positions: frozenset[tuple[str, str]]
    equity: Decimal
    peak_equity: Decimal
    halted: str | None = None  # reason new entries are halted (e.g. unresolved reconciliation)
    exposures: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)  # market value per open position
    reserved: Mapping[str, Decimal] = field(default_factory=dict)  # quote held by open entry orders per venue
    day_start_equity: Decimal | None = None
    locks: tuple[Lock, ...] = ()
    as_of_ms: int = 0

    @property
    def drawdown(self) -> float:
        if self.peak_equity <= 0:
            return 0.0
        return max(0.0, float((self.peak_equity - self.equity) / self.peak_equity))

    @property
    def daily_loss(self) -> float:
        start = self.day_start_equity
        if start is None or start <= 0:
            return 0.0
        return max(0.0, float((start - self.equity) / start))
