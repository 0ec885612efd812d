"""Refresh the candle store: incremental history for every listed symbol on the configured venues."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks import data
from tradepipe.config import Settings, load_settings


@flow(name="data-refresh", log_prints=False)
def data_refresh(
    settings: Settings | None = None, symbols: list[str] | None = None, bars: int = 1_000, timeframe: str | None = None
) -> dict[str, Any]:
    settings = settings or load_settings()
    return data.refresh_candles(settings, symbols, bars, timeframe).as_dict()
