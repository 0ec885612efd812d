"""The rule-based regime classifier on synthetic series built to be in each regime; the classifier registry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from tests.unit.strategy.conftest import ohlcv_from_close, random_walk
from tradepipe.core.strategy import indicator_set
from tradepipe.core.strategy.features import SymbolView
from tradepipe.core.strategy.regime import (
    CLASSIFIERS,
    Regime,
    RegimeCall,
    RuleClassifier,
    classifier,
    register_classifier,
)

SEEDS = range(6)


def view_of(close: np.ndarray, seed: int = 0, volume: np.ndarray | None = None) -> SymbolView:
    d = ohlcv_from_close(close, seed=seed)
    if volume is not None:
        d["volume"] = volume
    cols = [d[k] for k in ("open", "high", "low", "close", "volume")]
    rows = indicator_set.compute(*cols, [0, close.size])
    return SymbolView("sim-alpha", "TEST/USDT", *cols, rows, indicator_set.IndicatorSpec())


def mean_reverting(n: int, seed: int, theta: float = 0.3, sigma: float = 0.3) -> np.ndarray:
    """An Ornstein-Uhlenbeck path around 100: no trend, bounded range."""
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = x[i - 1] * (1 - theta) + rng.normal(0, sigma)
    return 100 + x


def trending(seed: int, drift: float) -> np.ndarray:
    return random_walk(400, sigma=0.006, drift=drift, seed=seed)


def volatile(seed: int) -> np.ndarray:
    """Calm for 340 bars, then 60 bars of 6 % per-bar swings without drift."""
    calm = random_walk(340, sigma=0.005, seed=seed)
    rng = np.random.default_rng(seed + 100)
    return np.concatenate((calm, calm[-1] * np.exp(np.cumsum(rng.normal(0, 0.06, 60)))))


def breakout(seed: int) -> np.ndarray:
    """A quiet range, then the last bar closes 5 % above it."""
    close = mean_reverting(400, seed)
    close[-1] = close[-2] * 1.05
    return close


BUILDERS = {
    Regime.TRENDING_UP: lambda seed: trending(seed, 0.004),
    Regime.TRENDING_DOWN: lambda seed: trending(seed, -0.004),
    Regime.RANGING: lambda seed: mean_reverting(400, seed),
    Regime.VOLATILE: volatile,
    Regime.BREAKOUT: breakout,
}


@pytest.mark.parametrize("regime", list(BUILDERS), ids=lambda r: r.value)
@pytest.mark.parametrize("seed", SEEDS)
def test_each_synthetic_series_gets_its_regime(regime: Regime, seed: int) -> None:
    call = RuleClassifier().classify(view_of(BUILDERS[regime](seed), seed))
    assert call.regime is regime, call
    assert 0 < call.confidence <= 1
    assert call.reason


def test_confidence_grows_with_the_strength_of_the_trend() -> None:
    weak = RuleClassifier().classify(view_of(random_walk(400, sigma=0.006, drift=0.0012, seed=3), 3))
    strong = RuleClassifier().classify(view_of(random_walk(400, sigma=0.006, drift=0.006, seed=3), 3))
    assert strong.regime is Regime.TRENDING_UP
    assert weak.regime is not Regime.TRENDING_UP or weak.confidence < strong.confidence


def test_too_short_a_history_is_unknown_with_zero_confidence() -> None:
    call = RuleClassifier().classify(view_of(random_walk(20, seed=1)))
    assert call == RegimeCall(Regime.UNKNOWN, 0.0, "indicators not yet defined at the last bar")


def test_a_classifier_is_pluggable_by_name() -> None:
    @register_classifier("always_ranging_test")
    @dataclass(frozen=True)
    class AlwaysRanging:
        name: str = "always_ranging_test"

        def classify(self, view: SymbolView) -> RegimeCall:
            return RegimeCall(Regime.RANGING, 0.42, "a stand-in for an ML model")

    try:
        assert classifier("always_ranging_test").classify(view_of(trending(0, 0.004))).confidence == 0.42
    finally:
        del CLASSIFIERS["always_ranging_test"]
    with pytest.raises(ValueError, match=r"strategy\.regime_classifier: unknown 'nope'"):
        classifier("nope")
