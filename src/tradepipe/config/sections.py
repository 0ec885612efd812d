"""The sections of ``tradepipe.toml``; every field has a default that runs paper on the simulator."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Timeframe = Literal["1m", "5m", "15m", "1h", "4h", "1d"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimSection(Section):
    """The built-in simulated market."""

    venues: tuple[str, ...] = ("sim-alpha", "sim-beta")
    bad_data_every: int = Field(25, ge=0, description="plant one bad candle in every Nth symbol (0 = none)")


class PaperSection(Section):
    starting_cash: float = Field(10_000.0, gt=0, description="quote currency per venue at the first run")
    quote: str = "USDT"


class DiscoverySection(Section):
    quote: str = "USDT"
    min_quote_volume: float = Field(100_000.0, ge=0)
    min_price: float = Field(0.0001, ge=0)
    max_spread_bps: float = Field(50.0, gt=0)
    max_symbols: int = Field(40, ge=1, le=5_000)
    batch_size: int = Field(10, ge=1, le=1_000)
    blacklist: tuple[str, ...] = ()


class MarketDataSection(Section):
    timeframe: Timeframe = "1h"
    history_bars: int = Field(300, ge=50, le=5_000)


class QualitySection(Section):
    stale_bars: int = Field(2, ge=1, description="last candle older than this many bars is stale")


class StrategySection(Section):
    fast: int = Field(12, ge=2)
    slow: int = Field(26, ge=3)
    atr_period: int = Field(14, ge=2)
    min_atr_pct: float = Field(0.002, ge=0, lt=1)
    max_atr_pct: float = Field(0.08, gt=0, lt=1)


class RiskSection(Section):
    trade_size_pct: float = Field(0.05, gt=0, le=1)
    max_drawdown: float = Field(0.2, gt=0, lt=1)
    max_open_positions: int = Field(10, ge=0)
    min_confidence: float = Field(0.05, ge=0, le=1)
    target_volatility: float = Field(0.01, gt=0, description="per-bar return volatility that gets factor 1")
    max_volatility_factor: float = Field(2.0, ge=1)
    stop_loss_atr: float = Field(2.0, gt=0)
    take_profit_atr: float = Field(3.0, gt=0)


class DaskSection(Section):
    address: str = Field("", description="scheduler address of an existing cluster; empty = LocalCluster")
    n_workers: int = Field(2, ge=1, le=64)
    threads_per_worker: int = Field(1, ge=1, le=64)


class LiveSection(Section):
    enabled: bool = False
    api_key_env: str = "TRADEPIPE_API_KEY"
    api_secret_env: str = "TRADEPIPE_API_SECRET"
