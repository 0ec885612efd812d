"""The strategy registry and the four built-in strategies.

A strategy is a small frozen class with a ``name``, the ``regimes`` it suits and ``evaluate(view) ->
Signal`` (LONG with a confidence in (0, 1], or FLAT with the reason). Register it with
``@register_strategy`` and route it from config (``[strategy.routes]``). Its fields are its parameters:
they hash into the evaluation cache key, so changing one recomputes only that strategy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol

from tradepipe.core.strategy.features import SymbolView
from tradepipe.domain.strategy import Direction, Signal


class Strategy(Protocol):
    name: ClassVar[str]
    regimes: ClassVar[frozenset[str]]

    def evaluate(self, view: SymbolView) -> Signal: ...


STRATEGIES: dict[str, type] = {}


def register_strategy(cls: type) -> type:
    STRATEGIES[cls.name] = cls  # type: ignore[attr-defined]
    return cls


def build(name: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """The registered strategy ``name`` with ``params`` overriding its defaults; errors name the field."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"strategy.routes: unknown strategy {name!r}; known: {sorted(STRATEGIES)}") from None
    known = {f.name for f in fields(cls)}
    unknown = set(params or {}) - known
    if unknown:
        raise ValueError(f"strategy.params.{name}: unknown {sorted(unknown)}; known: {sorted(known)}")
    return cls(**(params or {}))


def _long(name: str, confidence: float, reason: str) -> Signal:
    conf = min(1.0, max(confidence, 1e-6))  # a LONG is strictly positive
    return Signal(strategy=name, direction=Direction.LONG, confidence=conf, reason=reason)


def _flat(name: str, reason: str) -> Signal:
    return Signal(strategy=name, direction=Direction.FLAT, confidence=0.0, reason=reason)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


@register_strategy
@dataclass(frozen=True, slots=True)
class TrendFollowing:
    """Fast EMA above slow EMA after a fresh up-cross or with a rising slow EMA; ATR within bounds.
    Confidence ``tanh(separation / ATR)``."""

    name: ClassVar[str] = "trend_following"
    regimes: ClassVar[frozenset[str]] = frozenset({"trending_up", "breakout"})
    cross_lookback: int = 3
    slope_bars: int = 5
    slope_atr: float = 0.15
    min_atr_pct: float = 0.002
    max_atr_pct: float = 0.08

    def evaluate(self, view: SymbolView) -> Signal:
        fast, slow, atr, price = view.at("ema_fast"), view.at("ema_slow"), view.at("atr"), view.price
        if not _finite(fast, slow, atr) or atr <= 0:
            return _flat(self.name, "indicators not defined")
        if not fast > slow:
            return _flat(self.name, f"no_uptrend: fast EMA {fast:.6g} <= slow EMA {slow:.6g}")
        crossed = next(
            (b for b in range(self.cross_lookback) if not view.at("ema_fast", b + 1) > view.at("ema_slow", b + 1)),
            None,
        )
        slope = (slow - view.at("ema_slow", self.slope_bars)) / self.slope_bars / atr
        if crossed is None and not slope > self.slope_atr:
            return _flat(self.name, f"no_trigger: no up-cross in {self.cross_lookback} bars, slope {slope:.3f}")
        if not self.min_atr_pct <= atr / price <= self.max_atr_pct:
            return _flat(self.name, f"atr_filter: ATR/price {atr / price:.4%}")
        trigger = f"up-cross {crossed + 1} bar(s) ago" if crossed is not None else f"slope {slope:.3f} ATR/bar"
        separation = (fast - slow) / atr
        return _long(self.name, math.tanh(separation), f"{trigger}; separation {separation:.2f} ATR")


@register_strategy
@dataclass(frozen=True, slots=True)
class MeanReversion:
    """Buy a stretched dip in a range: z-score at most ``-entry_z`` and RSI at most ``max_rsi``.
    Confidence grows with the stretch beyond ``entry_z``."""

    name: ClassVar[str] = "mean_reversion"
    regimes: ClassVar[frozenset[str]] = frozenset({"ranging"})
    entry_z: float = 1.5
    max_rsi: float = 40.0

    def evaluate(self, view: SymbolView) -> Signal:
        z, rsi = view.at("zscore"), view.at("rsi")
        if not _finite(z, rsi):
            return _flat(self.name, "indicators not defined")
        if z > -self.entry_z:
            return _flat(self.name, f"not_stretched: z-score {z:.2f} > -{self.entry_z}")
        if rsi > self.max_rsi:
            return _flat(self.name, f"not_oversold: RSI {rsi:.1f} > {self.max_rsi}")
        stretch = -z - self.entry_z
        return _long(self.name, 0.4 + 0.6 * math.tanh(stretch), f"z-score {z:.2f}, RSI {rsi:.1f}")


@register_strategy
@dataclass(frozen=True, slots=True)
class Breakout:
    """Close above the previous bar's Donchian high by ``min_excess_atr`` ATR on volume above the
    ``volume_bars`` average (OBV rising). Confidence from the excess in ATR."""

    name: ClassVar[str] = "breakout"
    regimes: ClassVar[frozenset[str]] = frozenset({"breakout", "trending_up", "volatile"})
    min_excess_atr: float = 0.0
    volume_bars: int = 20

    def evaluate(self, view: SymbolView) -> Signal:
        upper, atr, price = view.at("donchian_upper", 1), view.at("atr"), view.price
        if not _finite(upper, atr) or atr <= 0 or view.bars <= self.volume_bars:
            return _flat(self.name, "indicators not defined")
        excess = (price - upper) / atr
        if excess <= self.min_excess_atr:
            return _flat(self.name, f"inside_channel: close {excess:.2f} ATR vs the {upper:.6g} high")
        average = float(view.volume[-1 - self.volume_bars : -1].mean())
        if not view.volume[-1] > average or not view.at("obv") > view.at("obv", 1):
            return _flat(self.name, "no_volume: breakout volume not above its average")
        return _long(self.name, math.tanh(0.5 + excess), f"close {excess:.2f} ATR above the channel on volume")


@register_strategy
@dataclass(frozen=True, slots=True)
class Momentum:
    """MACD histogram positive and rising, RSI between ``min_rsi`` and ``max_rsi``, close above the SMA
    and %K above %D. Confidence from the histogram in ATR."""

    name: ClassVar[str] = "momentum"
    regimes: ClassVar[frozenset[str]] = frozenset({"trending_up", "breakout"})
    min_rsi: float = 50.0
    max_rsi: float = 75.0

    def evaluate(self, view: SymbolView) -> Signal:
        hist, prev, rsi, sma, atr = (
            view.at("macd_hist"),
            view.at("macd_hist", 1),
            view.at("rsi"),
            view.at("sma"),
            view.at("atr"),
        )
        if not _finite(hist, prev, rsi, sma, atr) or atr <= 0:
            return _flat(self.name, "indicators not defined")
        if not (hist > 0 and hist > prev):
            return _flat(self.name, f"no_momentum: MACD histogram {hist:.4g} (was {prev:.4g})")
        if not self.min_rsi <= rsi <= self.max_rsi:
            return _flat(self.name, f"rsi_out_of_band: RSI {rsi:.1f}")
        if not view.price > sma or not view.at("stoch_k") > view.at("stoch_d"):
            return _flat(self.name, "no_confirmation: close below the SMA or %K below %D")
        return _long(self.name, math.tanh(2 * hist / atr + 0.2), f"MACD hist {hist / atr:.3f} ATR, RSI {rsi:.1f}")
