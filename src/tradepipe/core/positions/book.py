"""Open positions as float64 columns: mark-to-market and exit-rule state updated for all of them at once.

The ledger keeps Decimals; analytics (marks, trailing stops, triggers) run here on arrays, and only the
positions whose state moved or that must exit go back to Decimal (``to_decimal``, the one conversion place).
A missing mark is NaN: every comparison with it is False, so such a position is left untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from tradepipe.domain.money import to_decimal, to_float
from tradepipe.domain.portfolio import Position

NAN = float("nan")


def _f(value: Decimal | None) -> float:
    return NAN if value is None else to_float(value)


@dataclass(slots=True)
class PositionBook:
    """Columns of N open positions; rules read and move ``stop``, ``high_water`` and ``exits_taken``."""

    amount: np.ndarray
    entry: np.ndarray
    cost_basis: np.ndarray
    stop: np.ndarray  # NaN = no stop
    target: np.ndarray  # NaN = no target
    high_water: np.ndarray  # NaN = not watched yet
    opened_ms: np.ndarray
    exits_taken: np.ndarray
    entry_amount: np.ndarray

    @classmethod
    def from_positions(cls, positions: Sequence[Position]) -> PositionBook:
        return cls(
            amount=np.array([to_float(p.amount) for p in positions], dtype=np.float64),
            entry=np.array([to_float(p.average_price) for p in positions], dtype=np.float64),
            cost_basis=np.array([to_float(p.cost_basis) for p in positions], dtype=np.float64),
            stop=np.array([_f(p.stop_loss) for p in positions], dtype=np.float64),
            target=np.array([_f(p.take_profit) for p in positions], dtype=np.float64),
            high_water=np.array([_f(p.high_water_mark) for p in positions], dtype=np.float64),
            opened_ms=np.array([p.opened_at_ms for p in positions], dtype=np.int64),
            exits_taken=np.array([p.exits_taken for p in positions], dtype=np.int64),
            entry_amount=np.array([to_float(p.entry_amount or p.amount) for p in positions], dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.amount)

    def copy(self) -> PositionBook:
        return PositionBook(*(np.array(getattr(self, f), copy=True) for f in self.__slots__))

    def mark_to_market(self, mark: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(value, unrealised P&L) of every position at ``mark``."""
        value = self.amount * mark
        return value, value - self.cost_basis

    def watch(self, mark: np.ndarray) -> None:
        """Raise each high-water mark to the mark (it never falls; a NaN mark leaves it alone)."""
        np.fmax(self.high_water, mark, out=self.high_water)


def marks_array(positions: Sequence[Position], marks: Mapping[tuple[str, str], Decimal]) -> np.ndarray:
    return np.array([_f(marks.get((p.venue, p.symbol))) for p in positions], dtype=np.float64)


def moved_positions(positions: Sequence[Position], before: PositionBook, after: PositionBook) -> list[Position]:
    """Positions whose stop, high-water mark or ladder progress the rules moved, with the new state."""
    moved = []
    for i in np.flatnonzero(
        ~_same(before.stop, after.stop)
        | ~_same(before.high_water, after.high_water)
        | (before.exits_taken != after.exits_taken)
    ):
        p = positions[int(i)]
        moved.append(
            replace(
                p,
                stop_loss=_money(after.stop[i]),
                high_water_mark=_money(after.high_water[i]),
                exits_taken=int(after.exits_taken[i]),
            )
        )
    return moved


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _money(value: float) -> Decimal | None:
    if np.isnan(value):
        return None
    return to_decimal(float(f"{float(value):.12g}"))  # stops and marks to 12 significant digits
