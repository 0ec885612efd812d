"""Indicators over one series, matching TA-Lib after each indicator's warm-up (see ``kernels``).

Every function returns arrays as long as its inputs, NaN where the indicator is not yet defined.
For many symbols at once use ``indicator_set.compute`` (one compiled call for the whole batch).

NaN handling (explicit, the same for every function): a bar where any input is NaN is a **gap**. The
gaps split the series into segments and each segment is computed on its own, exactly as TA-Lib computes
a whole series: warm-up NaNs at its start, then values; the gap bars themselves are NaN. Leading NaNs
are therefore skipped as the ``talib`` wrapper skips them, and an indicator recovers after a gap (re-
seeded) instead of staying NaN to the end as TA-Lib's running sums do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from tradepipe.core.strategy import kernels

FloatArray = npt.NDArray[np.float64]


def _as_float_arrays(**columns: npt.ArrayLike) -> list[FloatArray]:
    arrays = []
    for name, values in columns.items():
        array = np.ascontiguousarray(values, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
        arrays.append(array)
    sizes = {name: a.size for name, a in zip(columns, arrays, strict=True)}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"input lengths differ: {sizes}")
    return arrays


def _check_period(period: int, name: str = "period", minimum: int = 1) -> None:
    if int(period) != period or period < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {period}")


def segments(valid: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, end)`` of each maximal run of True in ``valid``."""
    padded = np.concatenate(([False], valid, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _by_segment(inputs: list[FloatArray], outputs: int, kernel: Callable[..., None]) -> tuple[FloatArray, ...]:
    """Run ``kernel(*input_views, *output_views)`` on each gap-free segment."""
    size = inputs[0].size
    outs = [np.full(size, np.nan) for _ in range(outputs)]
    valid = np.ones(size, dtype=bool)
    for array in inputs:
        valid &= ~np.isnan(array)
    for a, b in segments(valid):
        kernel(*(x[a:b] for x in inputs), *(o[a:b] for o in outs))
    return tuple(outs)


def sma(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """TA-Lib SMA: first value at ``period-1``."""
    _check_period(period)
    (x,) = _as_float_arrays(close=close)
    return _by_segment([x], 1, lambda c, o: kernels.sma_into(c, period, o))[0]


def ema(close: npt.ArrayLike, period: int = 30) -> FloatArray:
    """TA-Lib EMA: seed = SMA of the first ``period`` values at ``period-1``, then alpha = 2/(period+1)."""
    _check_period(period)
    (x,) = _as_float_arrays(close=close)
    return _by_segment([x], 1, lambda c, o: kernels.ema_into(c, period, o))[0]


def rsi(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """TA-Lib RSI (Wilder): first value at ``period``; 0 when prices did not move."""
    _check_period(period, minimum=2)
    (x,) = _as_float_arrays(close=close)
    return _by_segment([x], 1, lambda c, o: kernels.rsi_into(c, period, o))[0]


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """TA-Lib TRANGE: ``max(h, prev_close) - min(l, prev_close)`` from bar 1."""
    arrays = _as_float_arrays(high=high, low=low, close=close)
    return _by_segment(arrays, 1, kernels.true_range_into)[0]


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """TA-Lib ATR (Wilder): mean of TR[1..period] at ``period``, then ``(prev*(period-1) + tr) / period``."""
    _check_period(period)
    arrays = _as_float_arrays(high=high, low=low, close=close)
    return _by_segment(arrays, 1, lambda h, lo, c, o: kernels.atr_into(h, lo, c, period, o))[0]


def adx(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """TA-Lib ``(ADX, PLUS_DI, MINUS_DI)``: the DIs from bar ``period``, ADX from ``2*period-1``."""
    _check_period(period, minimum=2)
    arrays = _as_float_arrays(high=high, low=low, close=close)
    plus, minus, strength = _by_segment(
        arrays, 3, lambda h, lo, c, p, m, a: kernels.directional_into(h, lo, c, period, p, m, a)
    )
    return strength, plus, minus


def macd(
    close: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """TA-Lib ``(macd, signal, hist)``; all three start at bar ``slow + signal - 2``."""
    for name, value in (("fast", fast), ("slow", slow), ("signal", signal)):
        _check_period(value, name, minimum=2 if name != "signal" else 1)
    (x,) = _as_float_arrays(close=close)
    line, sig, hist = _by_segment([x], 3, lambda c, a, b, d: kernels.macd_into(c, fast, slow, signal, a, b, d))
    return line, sig, hist


def bbands(
    close: npt.ArrayLike, period: int = 5, dev_up: float = 2.0, dev_down: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """TA-Lib BBANDS with an SMA middle band: ``(upper, middle, lower)``, population deviation."""
    _check_period(period)
    (x,) = _as_float_arrays(close=close)
    upper, middle, lower, _ = _by_segment(
        [x], 4, lambda c, u, m, lo, z: kernels.bbands_into(c, period, dev_up, dev_down, u, m, lo, z)
    )
    return upper, middle, lower


def zscore(close: npt.ArrayLike, period: int = 20) -> FloatArray:
    """``(close - SMA) / population deviation`` over ``period`` bars (TA-Lib SMA and STDDEV); 0 when flat."""
    _check_period(period)
    (x,) = _as_float_arrays(close=close)
    return _by_segment([x], 4, lambda c, u, m, lo, z: kernels.bbands_into(c, period, 1.0, 1.0, u, m, lo, z))[3]


def stoch(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    fastk: int = 5,
    slowk: int = 3,
    slowd: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """TA-Lib STOCH with SMA smoothing: ``(slowk, slowd)`` from bar ``fastk + slowk + slowd - 3``."""
    for name, value in (("fastk", fastk), ("slowk", slowk), ("slowd", slowd)):
        _check_period(value, name)
    arrays = _as_float_arrays(high=high, low=low, close=close)
    k, d = _by_segment(arrays, 2, lambda h, lo, c, k, d: kernels.stoch_into(h, lo, c, fastk, slowk, slowd, k, d))
    return k, d


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """TA-Lib OBV: starts at the first bar's volume."""
    arrays = _as_float_arrays(close=close, volume=volume)
    return _by_segment(arrays, 1, kernels.obv_into)[0]


def vwap(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, volume: npt.ArrayLike, period: int = 20
) -> FloatArray:
    """Rolling volume-weighted typical price over ``period`` bars (not in TA-Lib)."""
    _check_period(period)
    arrays = _as_float_arrays(high=high, low=low, close=close, volume=volume)
    return _by_segment(arrays, 1, lambda h, lo, c, v, o: kernels.vwap_into(h, lo, c, v, period, o))[0]


def donchian(high: npt.ArrayLike, low: npt.ArrayLike, period: int = 20) -> tuple[FloatArray, FloatArray]:
    """``(upper, lower)``: TA-Lib MAX of highs and MIN of lows over ``period`` bars."""
    _check_period(period)
    h, lo = _as_float_arrays(high=high, low=low)
    upper = _by_segment([h, lo], 1, lambda a, _b, o: kernels.highest_into(a, period, o))[0]
    lower = _by_segment([h, lo], 1, lambda _a, b, o: kernels.lowest_into(b, period, o))[0]
    return upper, lower


def log_returns(close: npt.ArrayLike) -> FloatArray:
    """``ln(close[i] / close[i-1])`` from bar 1; NaN at bar 0, at gaps and wherever a price is not positive."""
    (c,) = _as_float_arrays(close=close)
    out = np.full(c.size, np.nan)
    if c.size > 1:
        positive = np.where(c > 0, c, np.nan)
        out[1:] = np.log(positive[1:] / positive[:-1])
    return out


def realised_volatility(close: npt.ArrayLike, window: int = 20, ddof: int = 1) -> FloatArray:
    """Rolling deviation of log returns over ``window`` returns (per bar, not annualised); first value at
    bar ``window``. Two passes per window, so it stays accurate to ~1e-15. Non-positive prices are gaps."""
    _check_period(window, "window", minimum=2)
    if ddof < 0 or ddof >= window:
        raise ValueError(f"ddof must be in [0, window), got {ddof} for window {window}")
    (c,) = _as_float_arrays(close=close)
    c = np.where(c > 0, c, np.nan)
    return _by_segment([c], 1, lambda x, o: kernels.volatility_into(x, window, ddof, o))[0]
