"""The EMA-cross strategy on hand-built series, plus its LONG rate on a random walk."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradepipe.core.strategy import DEFAULT_PARAMS, StrategyParams, confidence, evaluate_symbol, indicators
from tradepipe.domain.strategy import Decision, Direction
from tradepipe.errors import ConfigurationError, DataQualityError

HOUR_MS = 3_600_000


def evaluate(close: np.ndarray, range_pct: float = 0.005, params: StrategyParams = DEFAULT_PARAMS) -> Decision:
    """Candles around ``close``: open = previous close, high/low = ``range_pct`` beyond open/close."""
    opens = np.concatenate((close[:1], close[:-1]))
    high = np.maximum(opens, close) * (1 + range_pct)
    low = np.minimum(opens, close) * (1 - range_pct)
    timestamp = np.arange(close.size, dtype=np.int64) * HOUR_MS
    volume = np.full(close.size, 10.0)
    return evaluate_symbol("sim", "BTC/USDT", timestamp, opens, high, low, close, volume, params)


def dip_then_rally() -> np.ndarray:
    """60 bars drifting down from 110 to 100, then a rally of +1.5 % a bar, cut at the fast/slow up-cross."""
    decline = np.linspace(110.0, 100.0, 60)
    rally = 100.0 * 1.015 ** np.arange(1, 30)
    close = np.concatenate((decline, rally))
    above = indicators.ema(close, 12) > indicators.ema(close, 26)
    cross = next(i for i in range(61, close.size) if above[i] and not above[i - 1])
    return close[: cross + 1]


def test_clear_up_cross_is_long() -> None:
    decision = evaluate(dip_then_rally())
    assert decision.direction is Direction.LONG
    signal = decision.signals[0]
    assert signal.strategy == "ema_cross"
    assert "up-cross 1 bar(s) ago" in signal.reason
    assert 0 < signal.confidence <= 1
    assert decision.score == signal.confidence
    assert decision.metrics["ema_fast"] > decision.metrics["ema_slow"]
    # the slow EMA is still falling: the cross alone triggered the entry
    assert decision.metrics["slope_atr"] < DEFAULT_PARAMS.trend_slope_atr
    assert decision.error is None
    assert decision.last_price == pytest.approx(dip_then_rally()[-1])
    assert decision.atr > 0
    assert decision.volatility > 0


def test_cross_older_than_lookback_without_trend_is_flat() -> None:
    close = dip_then_rally()
    params = StrategyParams(trend_slope_atr=10.0)  # switch the trend path off
    assert evaluate(close, params=params).direction is Direction.LONG
    # one more rising bar per lookback step: fast stays above slow, but the cross ages out
    extra = close[-1] * 1.015 ** np.arange(1, params.cross_lookback + 1)
    decision = evaluate(np.concatenate((close, extra)), params=params)
    assert decision.metrics["ema_fast"] > decision.metrics["ema_slow"]
    assert decision.direction is Direction.FLAT
    assert decision.signals[0].reason.startswith("no_trigger")


def test_steady_uptrend_is_long_through_the_trend_path() -> None:
    close = 100.0 * 1.01 ** np.arange(200)
    decision = evaluate(close)
    assert decision.direction is Direction.LONG
    assert "slow EMA rising" in decision.signals[0].reason
    assert decision.regime == "trending_up"


def test_down_trend_is_flat() -> None:
    rng = np.random.default_rng(2)
    close = 100.0 * np.exp(np.cumsum(rng.normal(-0.01, 0.004, 200)))
    decision = evaluate(close)
    assert decision.direction is Direction.FLAT
    assert decision.signals[0].reason.startswith("no_uptrend")
    assert decision.score == 0.0
    assert decision.signals[0].confidence == 0.0
    assert decision.regime == "trending_down"
    assert decision.metrics["ema_fast"] < decision.metrics["ema_slow"]


@pytest.mark.parametrize("n", [0, 1, 30, DEFAULT_PARAMS.min_bars - 1])
def test_too_few_bars_is_flat_with_reason(n: int) -> None:
    decision = evaluate(np.linspace(100.0, 120.0, max(n, 1))[:n])
    assert decision.direction is Direction.FLAT
    assert decision.signals[0].reason == f"insufficient_bars: have {n}, need {DEFAULT_PARAMS.min_bars}"
    assert decision.error is None
    assert decision.regime == "unknown"


def test_min_bars_is_enough() -> None:
    decision = evaluate(100.0 * 1.01 ** np.arange(DEFAULT_PARAMS.min_bars))
    assert not decision.signals[0].reason.startswith(("insufficient_bars", "non_finite"))


def test_atr_filter_blocks_a_too_volatile_series() -> None:
    decision = evaluate(dip_then_rally(), range_pct=0.10)
    assert decision.direction is Direction.FLAT
    assert decision.signals[0].reason.startswith("atr_filter")
    assert decision.metrics["atr_pct"] > DEFAULT_PARAMS.max_atr_pct


def test_atr_filter_blocks_a_too_quiet_series() -> None:
    params = StrategyParams(min_atr_pct=0.05)
    decision = evaluate(dip_then_rally(), params=params)
    assert decision.direction is Direction.FLAT
    assert decision.signals[0].reason.startswith("atr_filter")


def test_high_realised_volatility_is_the_volatile_regime() -> None:
    rng = np.random.default_rng(4)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.05, 200)))
    decision = evaluate(close)
    assert decision.regime == "volatile"
    assert decision.volatility > DEFAULT_PARAMS.volatile_vol


def test_nan_in_the_last_bar_is_flat_not_an_error() -> None:
    close = 100.0 * 1.01 ** np.arange(100)
    close[-1] = np.nan
    decision = evaluate(close)
    assert decision.direction is Direction.FLAT
    assert decision.signals[0].reason.startswith("non_finite_indicators")


def test_malformed_candles_raise_data_quality_error() -> None:
    close = 100.0 * 1.01 ** np.arange(100)
    ts = np.arange(100, dtype=np.int64) * HOUR_MS
    ts[50] = ts[49]
    with pytest.raises(DataQualityError, match="strictly increasing"):
        evaluate_symbol("sim", "X/USDT", ts, close, close, close, close, close)
    with pytest.raises(DataQualityError, match="differ in length"):
        evaluate_symbol("sim", "X/USDT", ts[:-1], close, close, close, close, close)
    bad = close.copy()
    bad[10] = 0.0
    with pytest.raises(DataQualityError, match="non-positive"):
        evaluate_symbol("sim", "X/USDT", np.arange(100) * HOUR_MS, close, close, close, bad, close)


def test_confidence_formula() -> None:
    assert confidence(1.0, DEFAULT_PARAMS) == pytest.approx(math.tanh(1.0))
    assert confidence(0.0, DEFAULT_PARAMS) == 0.0
    assert confidence(-2.0, DEFAULT_PARAMS) == 0.0
    assert 0 < confidence(1e-300, DEFAULT_PARAMS) <= 1
    assert confidence(1e6, DEFAULT_PARAMS) == 1.0
    values = [confidence(x, DEFAULT_PARAMS) for x in (0.1, 0.5, 1.0, 2.0)]
    assert values == sorted(values)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fast": 26, "slow": 12},
        {"fast": 0},
        {"min_atr_pct": 0.1, "max_atr_pct": 0.05},
        {"vol_window": 1},
        {"trend_slope_atr": 0.0},
    ],
)
def test_invalid_params_are_a_configuration_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        StrategyParams(**kwargs)  # type: ignore[arg-type]


def random_walk_long_fraction(symbols: int, bars: int, cuts: int, seed: int) -> float:
    """Share of (symbol, cut) evaluations that are LONG on driftless GBM with 0.5-2 % per-bar vol."""
    rng = np.random.default_rng(seed)
    longs = total = 0
    for _ in range(symbols):
        sigma = rng.uniform(0.005, 0.02)
        close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, sigma, bars)))
        for end in np.linspace(DEFAULT_PARAMS.min_bars + 50, bars, cuts).astype(int):
            decision = evaluate(close[:end], range_pct=sigma / 2)
            longs += decision.direction is Direction.LONG
            total += 1
    return longs / total


def test_random_walk_gives_some_but_not_many_longs() -> None:
    fraction = random_walk_long_fraction(symbols=200, bars=400, cuts=5, seed=20240601)
    assert 0.05 <= fraction <= 0.25, fraction
