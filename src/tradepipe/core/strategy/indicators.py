"""Vectorised indicators over float64 arrays, seeded the way TA-Lib seeds them.

Every function returns an array as long as its input, NaN where the indicator is not yet defined.

NaN handling (explicit, the same for every function):

* leading NaNs are skipped, as the ``talib`` Python wrapper does: the seed window starts at the first
  non-NaN value and the output is NaN before it;
* a NaN after that point propagates: recursive indicators (EMA, ATR) are NaN from that bar on, windowed
  ones (realised volatility) are NaN for every window that contains it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]


def _as_float_array(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _check_period(period: int, name: str = "period") -> None:
    if period < 1:
        raise ValueError(f"{name} must be >= 1, got {period}")


def _first_valid(values: FloatArray) -> int:
    """Index of the first non-NaN value, or ``len(values)`` when there is none."""
    valid = np.flatnonzero(~np.isnan(values))
    return int(valid[0]) if valid.size else values.size


def seeded_ewm(values: FloatArray, period: int, alpha: float) -> FloatArray:
    """Exponential smoothing seeded with the SMA of the first ``period`` values (TA-Lib's convention).

    ``out[s + period - 1]`` is that SMA (``s`` = first non-NaN index); after it
    ``out[i] = out[i-1] + alpha * (values[i] - out[i-1])``. Earlier outputs are NaN.
    """
    _check_period(period)
    out = np.full(values.size, np.nan)
    start = _first_valid(values)
    seed_end = start + period
    if seed_end > values.size:
        return out
    seed = float(np.mean(values[start:seed_end]))
    tail = np.concatenate(([seed], values[seed_end:]))
    smoothed = pl.Series(tail).ewm_mean(alpha=alpha, adjust=False, min_samples=1).to_numpy()
    out[seed_end - 1 :] = smoothed
    return out


def ema(close: npt.ArrayLike, period: int) -> FloatArray:
    """TA-Lib EMA: seed = SMA of the first ``period`` values at index ``period-1``, alpha = 2/(period+1)."""
    values = _as_float_array(close, "close")
    _check_period(period)
    return seeded_ewm(values, period, 2.0 / (period + 1))


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """TA-Lib TRANGE: ``max(h-l, |h-prev_close|, |l-prev_close|)`` from bar 1; NaN at bar 0."""
    h = _as_float_array(high, "high")
    lo = _as_float_array(low, "low")
    c = _as_float_array(close, "close")
    if not h.size == lo.size == c.size:
        raise ValueError(f"high, low, close lengths differ: {h.size}, {lo.size}, {c.size}")
    out = np.full(c.size, np.nan)
    if c.size < 2:
        return out
    prev = c[:-1]
    ranges = np.stack((h[1:] - lo[1:], np.abs(h[1:] - prev), np.abs(lo[1:] - prev)))
    # np.max propagates NaN (np.fmax would hide it), which keeps the NaN rule above.
    out[1:] = np.max(ranges, axis=0)
    return out


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int) -> FloatArray:
    """TA-Lib ATR (Wilder): first value at index ``period`` = mean of TR[1..period], then
    ``atr[i] = (atr[i-1] * (period-1) + tr[i]) / period``; NaN before.
    """
    _check_period(period)
    ranges = true_range(high, low, close)
    return seeded_ewm(ranges, period, 1.0 / period)


def log_returns(close: npt.ArrayLike) -> FloatArray:
    """``ln(close[i] / close[i-1])`` from bar 1; NaN at bar 0 and wherever a price is not positive."""
    c = _as_float_array(close, "close")
    out = np.full(c.size, np.nan)
    if c.size < 2:
        return out
    positive = np.where(c > 0, c, np.nan)
    out[1:] = np.log(positive[1:] / positive[:-1])
    return out


def realised_volatility(close: npt.ArrayLike, window: int, ddof: int = 1) -> FloatArray:
    """Rolling standard deviation of log returns over ``window`` returns (per-bar, not annualised).

    ``out[i]`` uses the returns of bars ``i-window+1 .. i``, so the first value is at index ``window``.
    The variance is computed in two passes per window (numpy's ``std``), not from running sums of
    squares, so it stays accurate to ~1e-15 of the returns. ``ddof=1`` gives the sample deviation.
    """
    _check_period(window, "window")
    if ddof < 0 or ddof >= window:
        raise ValueError(f"ddof must be in [0, window), got {ddof} for window {window}")
    returns = log_returns(close)
    out = np.full(returns.size, np.nan)
    if returns.size <= window:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(returns[1:], window)
    out[window:] = np.std(windows, axis=1, ddof=ddof)
    return out
