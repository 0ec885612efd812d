"""Positions, balances and the trading halt as the ledger holds them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PAPER = "paper"
LIVE = "live"
ACCOUNTS = (PAPER, LIVE)


@dataclass(frozen=True, slots=True)
class Lot:
    """An open FIFO lot: what is left of one buy and its price."""

    amount: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class Position:
    """A spot position derived from fills. Fees are kept apart: realised + unrealised − fees = P&L."""

    venue: str
    symbol: str
    amount: Decimal
    average_price: Decimal
    stop_loss: Decimal | None
    take_profit: Decimal | None
    opened_at_ms: int
    realized_pnl: Decimal = Decimal(0)  # gross: proceeds − released cost basis, fees excluded
    cost_basis: Decimal = Decimal(0)  # cost of the amount still held; average_price = cost_basis / amount
    fees: Decimal = Decimal(0)  # every fee paid on this position, valued in the quote currency
    entry_amount: Decimal = Decimal(0)  # amount bought since it opened: the base of ladder fractions
    high_water_mark: Decimal | None = None  # the best mark since the trailing stop started watching
    exits_taken: int = 0  # ladder levels already sold
    lots: tuple[Lot, ...] = ()  # FIFO lots (empty under average cost)
    account: str = PAPER

    @property
    def is_open(self) -> bool:
        return self.amount > 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.venue, self.symbol)

    def value(self, mark: Decimal) -> Decimal:
        return self.amount * mark

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        return self.amount * mark - self.cost_basis


@dataclass(frozen=True, slots=True)
class Balance:
    venue: str
    asset: str
    total: Decimal


@dataclass(frozen=True, slots=True)
class Halt:
    """A persisted stop on new entries, set by the emergency stop or reconciliation, cleared by ``resume``."""

    id: int
    account: str
    reason: str
    source: str  # emergency_stop | reconciliation | operator
    set_at_ms: int
