"""The strategy engine's indicator set for many symbols at once: one compiled call per batch.

Candles of all symbols are laid end to end in flat float64 columns with ``offsets`` (symbol ``j`` is
rows ``offsets[j]:offsets[j+1]``). One numba kernel walks the symbols and, per gap-free segment of a
symbol, computes every indicator of the set while that symbol's candles are hot in cache; shared work is
done once (true range feeds ATR and the DIs in the same loop, the SMA and window deviation feed both
Bollinger bands and the z-score). Outputs go into one preallocated ``(len(ROWS), n_bars)`` array that a
caller may pass in again to reuse. Values equal the per-series functions in ``indicators`` (and TA-Lib).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

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
        """The periods in field order, as the kernels take them (cached: specs are frozen and few)."""
        return _as_array(self)


@functools.lru_cache(maxsize=64)
def _as_array(spec: IndicatorSpec) -> npt.NDArray[np.float64]:
    return np.array([getattr(spec, f.name) for f in fields(spec)], dtype=np.float64)


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
    kernel: Callable[..., None] = kernels.set_parallel if parallel else kernels.set_serial
    kernel(*columns, bounds, spec.as_array(), view)
    return view
