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

import numpy as np

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
    """Rules over ADX, +DI/-DI, the slow-EMA slope, ATR and the Donchian channel, in this order:

    * **breakout**: the close clears the previous bar's Donchian high by ``breakout_atr`` ATR while the
      previous bar's ADX was below ``trend_adx`` (leaving a range, not extending a trend);
    * **volatile**: ATR/price at least ``volatile_atr_pct``, or in the top ``1 - volatile_pct`` of its
      last ``lookback`` bars and at least ``volatile_jump`` times their median; or a breakdown below the
      channel;
    * **trending up / down**: ADX >= ``trend_adx`` and the slow EMA moving at least ``slope_atr`` ATR per
      bar in the direction of the stronger DI;
    * otherwise **ranging**.

    Confidence grows with how far the deciding quantity is past its threshold (0..1).
    """

    name: str = "rules"
    trend_adx: float = 22.0
    slope_atr: float = 0.05
    slope_bars: int = 5
    volatile_atr_pct: float = 0.04
    volatile_pct: float = 0.9
    volatile_jump: float = 1.5
    breakout_atr: float = 0.25
    lookback: int = 100

    def classify(self, view: SymbolView) -> RegimeCall:
        price, atr = view.price, view.at("atr")
        adx, plus, minus = view.at("adx"), view.at("plus_di"), view.at("minus_di")
        if not all(math.isfinite(x) for x in (price, atr, adx, plus, minus)) or atr <= 0 or price <= 0:
            return RegimeCall(Regime.UNKNOWN, 0.0, "indicators not yet defined at the last bar")
        upper, lower = view.at("donchian_upper", 1), view.at("donchian_lower", 1)
        if math.isfinite(upper) and price > upper + self.breakout_atr * atr and view.at("adx", 1) < self.trend_adx:
            excess = (price - upper) / atr
            return RegimeCall(Regime.BREAKOUT, _ramp(excess, 0, 1.5), f"close {excess:.2f} ATR above a 20-bar range")
        volatile = self._volatile(view, atr / price)
        if volatile is not None:
            return volatile
        slope = (view.at("ema_slow") - view.at("ema_slow", self.slope_bars)) / self.slope_bars / atr
        if adx >= self.trend_adx and math.isfinite(slope):
            conf = 0.5 * _ramp(adx, self.trend_adx, 2 * self.trend_adx) + 0.5 * _ramp(abs(slope), 0, 4 * self.slope_atr)
            if plus > minus and slope >= self.slope_atr:
                return RegimeCall(Regime.TRENDING_UP, conf, f"ADX {adx:.1f}, slope {slope:.3f} ATR/bar")
            if minus > plus and slope <= -self.slope_atr:
                return RegimeCall(Regime.TRENDING_DOWN, conf, f"ADX {adx:.1f}, slope {slope:.3f} ATR/bar")
        if math.isfinite(lower) and price < lower - self.breakout_atr * atr:
            return RegimeCall(Regime.VOLATILE, _ramp((lower - price) / atr, 0, 1.5), "close broke below the range")
        conf = 1.0 - _ramp(adx, 0.5 * self.trend_adx, self.trend_adx)
        return RegimeCall(Regime.RANGING, max(conf, 0.1), f"ADX {adx:.1f}, slope {slope:.3f} ATR/bar")

    def _volatile(self, view: SymbolView, atr_pct: float) -> RegimeCall | None:
        history = (view.series("atr") / view.close)[-1 - self.lookback : -1]
        history = history[np.isfinite(history)]
        median = float(np.median(history)) if history.size else math.nan
        pct = float(np.count_nonzero(history < atr_pct)) / history.size if history.size else 0.0
        jump = atr_pct / median if median > 0 else 1.0
        if atr_pct >= self.volatile_atr_pct or (pct >= self.volatile_pct and jump >= self.volatile_jump):
            conf = max(_ramp(atr_pct, 0.5 * self.volatile_atr_pct, 2 * self.volatile_atr_pct), _ramp(jump, 1, 3))
            return RegimeCall(Regime.VOLATILE, conf, f"ATR {atr_pct:.2%} of price, {jump:.1f}x its median")
        return None
