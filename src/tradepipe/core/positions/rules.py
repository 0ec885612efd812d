"""Exit rules by registry: each is a small class chosen by name in ``[exits] rules``.

A rule works on a whole ``PositionBook`` at once. ``adjust`` may move stops (trailing stop, break-even);
``trigger`` returns, per position, the fraction of its current amount to sell now (0 = keep). Every rule
adjusts before any rule triggers, so a stop moved this bar is already the one checked this bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from tradepipe.config.sections import ExitsSection
from tradepipe.core.positions.book import PositionBook
from tradepipe.domain.orders import IntentPurpose
from tradepipe.errors import ConfigurationError

HOUR_MS = 3_600_000


class ExitRule:
    """Base: no adjustment, no trigger. Subclasses set ``name`` and ``purpose``."""

    name: ClassVar[str] = ""
    purpose: ClassVar[IntentPurpose] = IntentPurpose.EXIT

    def adjust(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> None:
        """Move stops in the book (only ever in our favour)."""

    def trigger(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> np.ndarray:
        return np.zeros(len(book))

    def describe(self) -> str:
        return self.name


REGISTRY: dict[str, Callable[[ExitsSection], ExitRule]] = {}


def register(factory: Callable[[ExitsSection], ExitRule], name: str) -> None:
    REGISTRY[name] = factory


def build_rules(config: ExitsSection) -> list[ExitRule]:
    """The configured rules in config order; an unknown name is a configuration error naming the field."""
    unknown = [n for n in config.rules if n not in REGISTRY]
    if unknown:
        raise ConfigurationError(f"exits.rules: unknown rule(s) {unknown}; allowed: {sorted(REGISTRY)}")
    return [REGISTRY[name](config) for name in config.rules]


class StopLoss(ExitRule):
    name = "stop_loss"
    purpose = IntentPurpose.STOP_LOSS

    def trigger(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> np.ndarray:
        return (mark <= book.stop).astype(np.float64)


class TakeProfit(ExitRule):
    name = "take_profit"
    purpose = IntentPurpose.TAKE_PROFIT

    def trigger(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> np.ndarray:
        return (mark >= book.target).astype(np.float64)


class TrailingStop(ExitRule):
    """Once the high-water mark is ``activation`` above entry, the stop trails ``distance`` below it."""

    name = "trailing_stop"
    purpose = IntentPurpose.STOP_LOSS

    def __init__(self, activation: float, distance: float) -> None:
        if not 0 < distance < 1 or activation < 0:
            raise ConfigurationError("exits.trailing_distance_pct must be in (0, 1), activation ≥ 0")
        self.activation, self.distance = activation, distance

    def _trail(self, book: PositionBook) -> np.ndarray:
        active = book.high_water >= book.entry * (1 + self.activation)
        return np.where(active, book.high_water * (1 - self.distance), np.nan)

    def adjust(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> None:
        np.fmax(book.stop, self._trail(book), out=book.stop)  # a ratchet: the stop never falls

    def trigger(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> np.ndarray:
        return (mark <= self._trail(book)).astype(np.float64)

    def describe(self) -> str:
        return f"trailing stop {self.distance:.2%} below the high after +{self.activation:.2%}"


class BreakEven(ExitRule):
    """Once the high-water mark is ``trigger_pct`` above entry, the stop moves up to entry + ``offset``."""

    name = "break_even"
    purpose = IntentPurpose.STOP_LOSS

    def __init__(self, trigger_pct: float, offset: float) -> None:
        self.trigger_pct, self.offset = trigger_pct, offset

    def _level(self, book: PositionBook) -> np.ndarray:
        armed = book.high_water >= book.entry * (1 + self.trigger_pct)
        return np.where(armed, book.entry * (1 + self.offset), np.nan)

    def adjust(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> None:
        np.fmax(book.stop, self._level(book), out=book.stop)

    def trigger(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> np.ndarray:
        return (mark <= self._level(book)).astype(np.float64)


class Ladder(ExitRule):
    """Partial take-profits: level i sells ``fractions[i]`` of the entry amount once the mark is ``levels[i]``
    above entry; each level fires once (``exits_taken`` counts the levels done)."""

    name = "ladder"
    purpose = IntentPurpose.TAKE_PROFIT

    def __init__(self, levels: Sequence[float], fractions: Sequence[float]) -> None:
        if len(levels) != len(fractions) or not levels:
            raise ConfigurationError("exits.ladder_fractions must have one fraction per ladder level")
        self.levels = np.asarray(levels, dtype=np.float64)
        self.fractions = np.asarray(fractions, dtype=np.float64)

    def trigger(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> np.ndarray:
        crossed = mark[:, None] >= book.entry[:, None] * (1 + self.levels[None, :])
        due = crossed & (np.arange(len(self.levels))[None, :] >= book.exits_taken[:, None])
        share = (due * self.fractions[None, :]).sum(axis=1)
        reached = np.where(crossed.any(axis=1), crossed.shape[1] - np.argmax(crossed[:, ::-1], axis=1), 0)
        book.exits_taken[:] = np.maximum(book.exits_taken, reached)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.clip(np.where(book.amount > 0, share * book.entry_amount / book.amount, 0.0), 0.0, 1.0)


class TimeExit(ExitRule):
    name = "time_exit"
    purpose = IntentPurpose.EXIT

    def __init__(self, max_hold_hours: float) -> None:
        self.max_ms = int(max_hold_hours * HOUR_MS)

    def trigger(self, book: PositionBook, mark: np.ndarray, now_ms: int) -> np.ndarray:
        return ((now_ms - book.opened_ms) >= self.max_ms).astype(np.float64)


register(lambda c: StopLoss(), "stop_loss")
register(lambda c: TakeProfit(), "take_profit")
register(lambda c: TrailingStop(c.trailing_activation_pct, c.trailing_distance_pct), "trailing_stop")
register(lambda c: BreakEven(c.break_even_trigger_pct, c.break_even_offset_pct), "break_even")
register(lambda c: Ladder(c.ladder_levels_pct, c.ladder_fractions), "ladder")
register(lambda c: TimeExit(c.max_hold_hours), "time_exit")


def plan(book: PositionBook, mark: np.ndarray, now_ms: int, rules: Sequence[ExitRule]) -> tuple[np.ndarray, np.ndarray]:
    """Update the book at ``mark`` and return (fraction to sell, index of the deciding rule or -1).

    The largest fraction wins; among equals the rule listed first in config decides.
    """
    book.watch(mark)
    for rule in rules:
        rule.adjust(book, mark, now_ms)
    fraction = np.zeros(len(book))
    decided = np.full(len(book), -1, dtype=np.int64)
    for index, rule in enumerate(rules):
        wanted = rule.trigger(book, mark, now_ms)
        better = wanted > fraction
        fraction = np.where(better, wanted, fraction)
        decided = np.where(better, index, decided)
    return fraction, decided
