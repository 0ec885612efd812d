"""What a regime classifier and a strategy see of one symbol: its candles and indicator series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tradepipe.core.strategy.indicator_set import ROW, IndicatorSpec

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SymbolView:
    """One symbol's candles (oldest first) and its indicator set (``rows``: ``(len(ROWS), bars)`` view).

    ``at(name, back)`` reads indicator ``name`` ``back`` bars before the last one (0 = the last bar).
    """

    venue: str
    symbol: str
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    rows: FloatArray
    spec: IndicatorSpec

    @property
    def bars(self) -> int:
        return int(self.close.size)

    def series(self, name: str) -> FloatArray:
        return self.rows[ROW[name]]

    def at(self, name: str, back: int = 0) -> float:
        row = self.rows[ROW[name]]
        return float(row[-1 - back]) if back < row.size else float("nan")

    @property
    def price(self) -> float:
        return float(self.close[-1]) if self.close.size else float("nan")

    def percentile(self, values: FloatArray, lookback: int) -> float:
        """Share of the last ``lookback`` finite values (before the last bar) below the last value, 0..1."""
        history = values[-1 - lookback : -1]
        history = history[np.isfinite(history)]
        last = values[-1] if values.size else float("nan")
        if history.size == 0 or not np.isfinite(last):
            return float("nan")
        return float(np.count_nonzero(history < last)) / history.size
