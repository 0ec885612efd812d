"""The one candle schema: what fetch writes, the gate checks, consensus reconciles and strategies read."""

from __future__ import annotations

import polars as pl

CANDLE_SCHEMA: dict[str, pl.DataType] = {
    "venue": pl.String(),
    "symbol": pl.String(),
    "timestamp": pl.Int64(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "volume": pl.Float64(),
}
OHLCV_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
