"""Indicators against plain reference loops written from TA-Lib's documented definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradepipe.core.strategy import indicators

TOL = 1e-9
NAN = float("nan")


# --- reference loops (TA-Lib definitions, one bar at a time) ----------------------------------------
def ref_ema(close: list[float], period: int) -> list[float]:
    """TA_EMA: SMA seed at index period-1, then prev + k * (x - prev), k = 2 / (period + 1)."""
    out = [NAN] * len(close)
    if len(close) < period:
        return out
    k = 2.0 / (period + 1)
    prev = sum(close[:period]) / period
    out[period - 1] = prev
    for i in range(period, len(close)):
        prev = (close[i] - prev) * k + prev
        out[i] = prev
    return out


def ref_true_range(high: list[float], low: list[float], close: list[float]) -> list[float]:
    out = [NAN] * len(close)
    for i in range(1, len(close)):
        out[i] = max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
    return out


def ref_atr(high: list[float], low: list[float], close: list[float], period: int) -> list[float]:
    """TA_ATR: mean of TR[1..period] at index period, then (prev * (period-1) + tr) / period."""
    out = [NAN] * len(close)
    if len(close) <= period:
        return out
    tr = ref_true_range(high, low, close)
    prev = sum(tr[1 : period + 1]) / period
    out[period] = prev
    for i in range(period + 1, len(close)):
        prev = (prev * (period - 1) + tr[i]) / period
        out[i] = prev
    return out


def ref_volatility(close: list[float], window: int, ddof: int = 1) -> list[float]:
    out = [NAN] * len(close)
    returns = [NAN] + [math.log(close[i] / close[i - 1]) for i in range(1, len(close))]
    for i in range(window, len(close)):
        chunk = returns[i - window + 1 : i + 1]
        mean = sum(chunk) / window
        out[i] = math.sqrt(sum((r - mean) ** 2 for r in chunk) / (window - ddof))
    return out


# --- data --------------------------------------------------------------------------------------------
def random_candles(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 30_000 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    opens = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(opens, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(opens, close) * (1 - rng.uniform(0, 0.01, n))
    return high, low, close


def assert_matches(actual: np.ndarray, expected: list[float]) -> None:
    expected_arr = np.asarray(expected)
    assert actual.shape == expected_arr.shape
    assert np.array_equal(np.isnan(actual), np.isnan(expected_arr)), "NaN positions differ"
    finite = ~np.isnan(expected_arr)
    scale = np.maximum(1.0, np.abs(expected_arr[finite]))
    assert np.all(np.abs(actual[finite] - expected_arr[finite]) <= TOL * scale)


# --- agreement with the reference ------------------------------------------------------------------
@pytest.mark.parametrize("period", [1, 2, 5, 12, 26, 200])
def test_ema_matches_reference(period: int) -> None:
    _, _, close = random_candles(500)
    assert_matches(indicators.ema(close, period), ref_ema(close.tolist(), period))


@pytest.mark.parametrize("period", [1, 2, 7, 14, 100])
def test_atr_matches_reference(period: int) -> None:
    high, low, close = random_candles(500, seed=11)
    expected = ref_atr(high.tolist(), low.tolist(), close.tolist(), period)
    assert_matches(indicators.atr(high, low, close, period), expected)


@pytest.mark.parametrize(("window", "ddof"), [(2, 1), (20, 1), (48, 1), (48, 0)])
def test_realised_volatility_matches_reference(window: int, ddof: int) -> None:
    _, _, close = random_candles(400, seed=3)
    expected = ref_volatility(close.tolist(), window, ddof)
    assert_matches(indicators.realised_volatility(close, window, ddof=ddof), expected)


def test_realised_volatility_is_accurate_at_high_price_levels() -> None:
    # Two-pass variance: tiny returns on a huge price level still match the reference.
    close = 1e9 + np.cumsum(np.random.default_rng(5).normal(0, 1e-3, 300))
    assert_matches(indicators.realised_volatility(close, 30), ref_volatility(close.tolist(), 30))


# --- short series ----------------------------------------------------------------------------------
def test_first_defined_index_follows_talib_lookback() -> None:
    high, low, close = random_candles(60)
    assert np.flatnonzero(~np.isnan(indicators.ema(close, 12)))[0] == 11
    assert np.flatnonzero(~np.isnan(indicators.atr(high, low, close, 14)))[0] == 14
    assert np.flatnonzero(~np.isnan(indicators.realised_volatility(close, 48)))[0] == 48


@pytest.mark.parametrize("n", [0, 1, 11])
def test_ema_too_short_is_all_nan(n: int) -> None:
    out = indicators.ema(np.linspace(1, 2, n), 12)
    assert out.shape == (n,)
    assert np.all(np.isnan(out))


@pytest.mark.parametrize("n", [0, 1, 14])
def test_atr_too_short_is_all_nan(n: int) -> None:
    high, low, close = random_candles(max(n, 1))
    out = indicators.atr(high[:n], low[:n], close[:n], 14)
    assert out.shape == (n,)
    assert np.all(np.isnan(out))


def test_ema_exactly_period_bars_is_the_sma() -> None:
    close = np.array([1.0, 2.0, 3.0, 4.0])
    assert indicators.ema(close, 4)[-1] == pytest.approx(2.5, abs=TOL)


# --- constant prices ---------------------------------------------------------------------------------
def test_constant_prices() -> None:
    close = np.full(100, 42.0)
    assert np.allclose(indicators.ema(close, 12)[11:], 42.0, rtol=0, atol=TOL)
    assert np.allclose(indicators.atr(close, close, close, 14)[14:], 0.0, rtol=0, atol=TOL)
    assert np.allclose(indicators.realised_volatility(close, 48)[48:], 0.0, rtol=0, atol=TOL)


def test_constant_range_gives_atr_equal_to_range() -> None:
    close = np.full(50, 100.0)
    atr = indicators.atr(close + 1.0, close - 1.0, close, 14)
    assert np.allclose(atr[14:], 2.0, rtol=0, atol=TOL)


# --- NaN handling --------------------------------------------------------------------------------------
def test_leading_nans_are_skipped_like_the_talib_wrapper() -> None:
    _, _, close = random_candles(80)
    padded = np.concatenate(([NAN] * 5, close))
    out = indicators.ema(padded, 12)
    assert np.all(np.isnan(out[: 5 + 11]))
    assert_matches(out[5:], ref_ema(close.tolist(), 12))


def test_leading_nans_in_atr_are_skipped() -> None:
    high, low, close = random_candles(80)
    pad = [NAN] * 3
    out = indicators.atr(np.r_[pad, high], np.r_[pad, low], np.r_[pad, close], 14)
    assert_matches(out[3:], ref_atr(high.tolist(), low.tolist(), close.tolist(), 14))
    assert np.all(np.isnan(out[:3]))


def test_interior_nan_propagates_in_recursive_indicators() -> None:
    high, low, close = random_candles(80)
    close[40] = NAN
    ema = indicators.ema(close, 12)
    assert np.all(np.isfinite(ema[11:40]))
    assert np.all(np.isnan(ema[40:]))
    atr = indicators.atr(high, low, close, 14)
    # TR[40] only needs close[39]; the NaN close enters through TR[41]
    assert np.all(np.isfinite(atr[14:41]))
    assert np.all(np.isnan(atr[41:]))


def test_nan_in_seed_window_gives_all_nan() -> None:
    close = np.linspace(10, 20, 30)
    close[3] = NAN
    assert np.all(np.isnan(indicators.ema(close, 12)))


def test_interior_nan_only_spoils_volatility_windows_that_contain_it() -> None:
    _, _, close = random_candles(120)
    close[60] = NAN
    vol = indicators.realised_volatility(close, 10)
    # returns 60 and 61 are NaN, so windows ending at 60..70 are NaN, the rest finite
    assert np.all(np.isnan(vol[60:71]))
    assert np.all(np.isfinite(vol[10:60]))
    assert np.all(np.isfinite(vol[71:]))


def test_non_positive_price_gives_nan_return() -> None:
    returns = indicators.log_returns(np.array([1.0, 0.0, 2.0, 4.0]))
    assert np.isnan(returns[:3]).all()
    assert returns[3] == pytest.approx(math.log(2.0))


# --- argument checks -------------------------------------------------------------------------------
def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="period"):
        indicators.ema(np.ones(5), 0)
    with pytest.raises(ValueError, match="lengths differ"):
        indicators.atr(np.ones(5), np.ones(4), np.ones(5), 2)
    with pytest.raises(ValueError, match="one-dimensional"):
        indicators.ema(np.ones((2, 2)), 2)
    with pytest.raises(ValueError, match="ddof"):
        indicators.realised_volatility(np.ones(5), 2, ddof=2)
