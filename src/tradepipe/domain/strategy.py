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
    error: str | None = None  # the strategy raised or timed out on this symbol; its signal is left out of the score


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
    regime_confidence: float = 0.0  # 0..1, from the regime classifier
    routes: tuple[tuple[str, float], ...] = ()  # (strategy, weight) chosen by the router for this regime
    action: Direction | None = None  # verdict after scoring and filters; None = the first signal's direction
    filter_reason: str = ""  # why the filters held a scored LONG back ("" = it is a candidate, or was not LONG)
    data_hash: str = ""  # hash of the candles evaluated (part of the evaluation cache key)
    reason: str = ""  # the engine's one-line account of the score (or why there is none)
    confidence: float | None = None  # the score before the data-quality factor (None = same as score)

    @property
    def sizing_confidence(self) -> float:
        """What risk sizes with: data quality is applied once, by sizing's quality factor, not twice."""
        return self.score if self.confidence is None else self.confidence

    @property
    def direction(self) -> Direction:
        if self.action is not None:
            return self.action
        return self.signals[0].direction if self.signals else Direction.FLAT
