"""Data tasks: refresh the candle store (reads only, so transient venue errors are retried)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.policy import retry_transient
from tradepipe.config import Settings
from tradepipe.stages import data_refresh
from tradepipe.stages.data_refresh import RefreshReport


@task(
    name="refresh-candles",
    retries=3,
    retry_delay_seconds=[1, 2, 4],
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def refresh_candles(
    settings: Settings, symbols: list[str] | None = None, bars: int = 1_000, timeframe: str | None = None
) -> RefreshReport:
    """Append the bars newer than the stored ones for every listed (or named) symbol; incremental, so a retry
    only fetches what the failed attempt had not stored yet."""
    return data_refresh.refresh(settings, symbols=symbols, bars=bars, timeframe=timeframe)
