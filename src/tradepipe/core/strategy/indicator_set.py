"""The strategy engine's indicator set for many symbols at once: one compiled call per batch.

Candles of all symbols are laid end to end in flat float64 columns with ``offsets`` (symbol ``j`` is
rows ``offsets[j]:offsets[j+1]``). One numba kernel walks the symbols and, per gap-free segment of a
symbol, computes every indicator of the set while that symbol's candles are hot in cache; shared work is
done once (true range feeds ATR and the DIs in the same loop, the SMA and window deviation feed both
Bollinger bands and the z-score). Outputs go into one preallocated ``(len(ROWS), n_bars)`` array that a
caller may pass in again to reuse. Values equal the per-series functions in ``indicators`` (and TA-Lib).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from tradepipe.core.strategy import kernels

ROWS: tuple[str, ...] = (
    "ema_fast",
    "ema_slow",
    "sma",
    "rsi",
    "atr",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "zscore",
    "macd",
    "macd_signal",
    "macd_hist",
    "adx",
    "plus_di",
    "minus_di",
    "stoch_k",
    "stoch_d",
    "obv",
    "vwap",
    "donchian_upper",
    "donchian_lower",
    "volatility",
)
ROW = {name: index for index, name in enumerate(ROWS)}
_SCRATCH = 2  # raw %K, log returns


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """Periods of the indicator set; frozen and hashable (part of the evaluation cache key)."""

    ema_fast: int = 12
    ema_slow: int = 26
    sma: int = 50
    rsi: int = 14
    atr: int = 14
    bb_period: int = 20  # also the z-score window
    bb_dev: float = 2.0
    macd_fast: int = 12
    macd_slow: int = 26
    macd_signal: int = 9
    adx: int = 14
    stoch_fastk: int = 5
    stoch_slowk: int = 3
    stoch_slowd: int = 3
    vwap: int = 20
    donchian: int = 20
    volatility: int = 48

    def __post_init__(self) -> None:
        for name, value in ((f.name, getattr(self, f.name)) for f in fields(self)):
            minimum = 2 if name in {"rsi", "adx", "macd_fast", "macd_slow", "volatility"} else 1
            if name != "bb_dev" and (int(value) != value or value < minimum):
                raise ValueError(f"indicators.{name} must be an integer >= {minimum}, got {value}")
        if not self.bb_dev > 0:
            raise ValueError(f"indicators.bb_dev must be > 0, got {self.bb_dev}")

    @property
    def warmup(self) -> int:
        """Bars before every indicator of the set has a value."""
        return max(
            self.ema_slow,
            self.sma,
            self.rsi + 1,
            self.atr + 1,
            self.bb_period,
            self.macd_slow + self.macd_signal - 1,
            2 * self.adx,
            self.stoch_fastk + self.stoch_slowk + self.stoch_slowd - 2,
            self.vwap,
            self.donchian,
            self.volatility + 1,
        )

    def as_array(self) -> npt.NDArray[np.float64]:
        return np.array(astuple(self), dtype=np.float64)


@njit(cache=True)
def _segment(o, h, lo, c, v, p, out, tmp, a, b):  # type: ignore[no-untyped-def]
    cs, hs, ls, vs = c[a:b], h[a:b], lo[a:b], v[a:b]
    kernels.ema_into(cs, int(p[0]), out[0, a:b])
    kernels.ema_into(cs, int(p[1]), out[1, a:b])
    kernels.sma_into(cs, int(p[2]), out[2, a:b])
    kernels.rsi_into(cs, int(p[3]), out[3, a:b])
    kernels.atr_into(hs, ls, cs, int(p[4]), out[4, a:b])
    kernels.bbands_into(cs, int(p[5]), p[6], p[6], out[5, a:b], out[6, a:b], out[7, a:b], out[8, a:b])
    kernels.macd_into(cs, int(p[7]), int(p[8]), int(p[9]), out[9, a:b], out[10, a:b], out[11, a:b])
    kernels.directional_into(hs, ls, cs, int(p[10]), out[13, a:b], out[14, a:b], out[12, a:b])
    kernels.stoch_into(hs, ls, cs, int(p[11]), int(p[12]), int(p[13]), tmp[0, a:b], out[15, a:b], out[16, a:b])
    kernels.obv_into(cs, vs, out[17, a:b])
    kernels.vwap_into(hs, ls, cs, vs, int(p[14]), out[18, a:b])
    kernels.highest_into(hs, int(p[15]), out[19, a:b])
    kernels.lowest_into(ls, int(p[15]), out[20, a:b])
    kernels.volatility_into(cs, int(p[16]), 1, tmp[1, a:b], out[21, a:b])


@njit(cache=True)
def _symbol(o, h, lo, c, v, p, out, tmp, start, end):  # type: ignore[no-untyped-def]
    """Split one symbol at gap bars (any input NaN or a non-positive close) and compute each segment."""
    i = start
    while i < end:
        while i < end and not (c[i] > 0 and h[i] == h[i] and lo[i] == lo[i] and v[i] == v[i] and o[i] == o[i]):
            for r in range(out.shape[0]):
                out[r, i] = np.nan
            i += 1
        j = i
        while j < end and c[j] > 0 and h[j] == h[j] and lo[j] == lo[j] and v[j] == v[j] and o[j] == o[j]:
            j += 1
        if j > i:
            _segment(o, h, lo, c, v, p, out, tmp, i, j)
        i = j


@njit(cache=True)
def _serial(o, h, lo, c, v, offsets, p, out, tmp):  # type: ignore[no-untyped-def]
    for s in range(offsets.size - 1):
        _symbol(o, h, lo, c, v, p, out, tmp, offsets[s], offsets[s + 1])


@njit(cache=True, parallel=True)
def _parallel(o, h, lo, c, v, offsets, p, out, tmp):  # type: ignore[no-untyped-def]
    for s in prange(offsets.size - 1):
        _symbol(o, h, lo, c, v, p, out, tmp, offsets[s], offsets[s + 1])


def allocate(n_bars: int) -> npt.NDArray[np.float64]:
    """An output buffer for ``n_bars`` flat bars (reuse it across calls of the same or smaller size)."""
    return np.empty((len(ROWS), n_bars))


def compute(
    open_: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    offsets: npt.ArrayLike,
    spec: IndicatorSpec = IndicatorSpec(),
    *,
    out: npt.NDArray[np.float64] | None = None,
    parallel: bool = False,
) -> npt.NDArray[np.float64]:
    """Every indicator of ``spec`` for every symbol: an array ``(len(ROWS), n_bars)``, row order ``ROWS``.

    ``offsets`` has one entry per symbol plus the end (``[0, n1, n1+n2, ..., n_bars]``). ``parallel``
    spreads symbols over numba's threads (leave it off inside Dask workers, which are parallel already).
    """
    columns = [np.ascontiguousarray(a, dtype=np.float64) for a in (open_, high, low, close, volume)]
    n = columns[3].size
    if any(col.ndim != 1 or col.size != n for col in columns):
        raise ValueError("open, high, low, close and volume must be 1-D arrays of one length")
    bounds = np.ascontiguousarray(offsets, dtype=np.int64)
    if bounds.size < 1 or bounds[0] != 0 or bounds[-1] != n or bool(np.any(np.diff(bounds) < 0)):
        raise ValueError(f"offsets must rise from 0 to the number of bars ({n}), got {bounds[:3]}...{bounds[-3:]}")
    if out is None:
        out = allocate(n)
    elif out.shape[0] != len(ROWS) or out.shape[1] < n or out.dtype != np.float64:
        raise ValueError(f"out must be float64 of shape ({len(ROWS)}, >= {n}), got {out.dtype} {out.shape}")
    view = out[:, :n]
    tmp = np.empty((_SCRATCH, n))
    kernel = _parallel if parallel else _serial
    kernel(*columns, bounds, spec.as_array(), view, tmp)
    return view
