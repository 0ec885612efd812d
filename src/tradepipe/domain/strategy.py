"""Signals, decisions and the reasons behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Direction(StrEnum):
    LONG = "long"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class Signal:
    strategy: str
    direction: Direction
    confidence: float  # 0..1
    reason: str


@dataclass(frozen=True, slots=True)
class Denial:
    """Why a rule refused a candidate; stored with the decision."""

    rule: str
    detail: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The evaluation of one symbol in one cycle."""

    venue: str
    symbol: str
    regime: str
    signals: tuple[Signal, ...]
    score: float
    last_price: float
    atr: float
    volatility: float  # realised per-bar volatility of returns
    error: str | None = None
    metrics: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def direction(self) -> Direction:
        return self.signals[0].direction if self.signals else Direction.FLAT
