"""Market regime per symbol: trending up / down, ranging, volatile, breakout, with a confidence.

Classifiers are pluggable: anything with ``name`` and ``classify(view) -> RegimeCall`` registered in
``CLASSIFIERS`` (``@register_classifier``) can be chosen by ``strategy.regime_classifier`` — an ML model
wrapped in such a class replaces the rules without touching the router.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from tradepipe.core.strategy.features import SymbolView


class Regime(StrEnum):
    TRENDING_UP = "trending_up"
    TRENDING_DOWN = "trending_down"
    RANGING = "ranging"
    VOLATILE = "volatile"
    BREAKOUT = "breakout"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class RegimeCall:
    regime: Regime
    confidence: float  # 0..1
    reason: str


class RegimeClassifier(Protocol):
    name: str

    def classify(self, view: SymbolView) -> RegimeCall: ...


CLASSIFIERS: dict[str, Callable[[], RegimeClassifier]] = {}


def register_classifier(name: str) -> Callable[[type], type]:
    def add(cls: type) -> type:
        CLASSIFIERS[name] = cls
        return cls

    return add


def classifier(name: str) -> RegimeClassifier:
    try:
        return CLASSIFIERS[name]()
    except KeyError:
        raise ValueError(f"strategy.regime_classifier: unknown {name!r}; known: {sorted(CLASSIFIERS)}") from None


def _ramp(value: float, low: float, high: float) -> float:
    """0 at ``low``, 1 at ``high``, linear between, clipped."""
    if not math.isfinite(value):
        return 0.0
    return min(1.0, max(0.0, (value - low) / (high - low)))


@register_classifier("rules")
@dataclass(frozen=True, slots=True)
class RuleClassifier:
    """Rules over ADX, +DI/-DI, the slow-EMA slope, Bollinger band width, ATR and the Donchian channel.

    In order: **breakout** when the close clears the previous bar's Donchian high/low by
    ``breakout_atr`` ATR and the band width sits in its top ``1 - squeeze_pct`` of the lookback after a
    squeeze; **volatile** when ATR/price is above its ``volatile_pct`` percentile over ``lookback`` bars
    and above ``volatile_atr_pct``; **trending up/down** when ADX >= ``trend_adx`` and the slow EMA moves
    at least ``slope_atr`` ATR per bar in the DI's direction; otherwise **ranging**. Confidence grows
    with how far the deciding quantity is past its threshold.
    """

    name: str = "rules"
    trend_adx: float = 22.0
    slope_atr: float = 0.05
    slope_bars: int = 5
    volatile_pct: float = 0.9
    volatile_atr_pct: float = 0.03
    breakout_atr: float = 0.25
    lookback: int = 100

    def classify(self, view: SymbolView) -> RegimeCall:
        price, atr = view.price, view.at("atr")
        adx, plus, minus = view.at("adx"), view.at("plus_di"), view.at("minus_di")
        if not all(math.isfinite(x) for x in (price, atr, adx, plus, minus)) or atr <= 0 or price <= 0:
            return RegimeCall(Regime.UNKNOWN, 0.0, "indicators not yet defined at the last bar")
        upper, lower = view.at("donchian_upper", 1), view.at("donchian_lower", 1)
        if math.isfinite(upper) and price > upper + self.breakout_atr * atr:
            excess = (price - upper) / atr
            return RegimeCall(Regime.BREAKOUT, _ramp(excess, 0, 1.5), f"close {excess:.2f} ATR above the channel")
        atr_pct = view.series("atr") / view.close
        pct = view.percentile(atr_pct, self.lookback)
        if pct >= self.volatile_pct and atr_pct[-1] >= self.volatile_atr_pct:
            return RegimeCall(Regime.VOLATILE, _ramp(atr_pct[-1], self.volatile_atr_pct, 3 * self.volatile_atr_pct),
                              f"ATR {atr_pct[-1]:.2%} of price, percentile {pct:.2f}")
        slow_then = view.at("ema_slow", self.slope_bars)
        slope = (view.at("ema_slow") - slow_then) / self.slope_bars / atr
        if adx >= self.trend_adx and math.isfinite(slope):
            conf = 0.5 * _ramp(adx, self.trend_adx, 2 * self.trend_adx) + 0.5 * _ramp(abs(slope), 0, 4 * self.slope_atr)
            if plus > minus and slope >= self.slope_atr:
                return RegimeCall(Regime.TRENDING_UP, conf, f"ADX {adx:.1f}, slope {slope:.3f} ATR/bar")
            if minus > plus and slope <= -self.slope_atr:
                return RegimeCall(Regime.TRENDING_DOWN, conf, f"ADX {adx:.1f}, slope {slope:.3f} ATR/bar")
        if math.isfinite(lower) and price < lower - self.breakout_atr * atr:
            return RegimeCall(Regime.VOLATILE, _ramp((lower - price) / atr, 0, 1.5), "close broke below the channel")
        conf = 1.0 - _ramp(adx, 0.5 * self.trend_adx, self.trend_adx)
        return RegimeCall(Regime.RANGING, max(conf, 0.1), f"ADX {adx:.1f}, slope {slope:.3f} ATR/bar")
