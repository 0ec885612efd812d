"""Positions and balances as the ledger holds them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Position:
    venue: str
    symbol: str
    amount: Decimal
    average_price: Decimal
    stop_loss: Decimal | None
    take_profit: Decimal | None
    opened_at_ms: int
    realized_pnl: Decimal = Decimal(0)
    cost_basis: Decimal = Decimal(0)  # quote paid for the amount still held; average_price = cost_basis / amount

    @property
    def is_open(self) -> bool:
        return self.amount > 0

    def value(self, mark: Decimal) -> Decimal:
        return self.amount * mark


@dataclass(frozen=True, slots=True)
class Balance:
    venue: str
    asset: str
    total: Decimal
