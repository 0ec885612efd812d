"""Backtest stage: candles of the simulated market bound to the pure replay in ``core.backtest``.

The history is the sim market's clean bars (no planted defects: the quality gate is not replayed) on the first
configured venue, for the ``symbols`` with the highest quote volume, ending ``bars`` bars after the first paper
cycle's time; the engine, risk and exits configuration are the cycle's own (``[strategy]``, ``[risk]``,
``[exits]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from tradepipe import wiring
from tradepipe.adapters.files import safe_path_component
from tradepipe.adapters.venues.sim_exchange import default_sim_venues
from tradepipe.clock import SimClock, timeframe_ms
from tradepipe.config import Settings
from tradepipe.core import venue_mapping
from tradepipe.core.backtest import BacktestConfig, BacktestResult, equity_svg, run_backtest
from tradepipe.core.ports import VenueGateway
from tradepipe.core.strategy.engine import SymbolCandles
from tradepipe.core.strategy.evaluate import symbol_candles
from tradepipe.domain.market import MarketRules
from tradepipe.errors import ConfigurationError
from tradepipe.stages.evaluate import engine_spec

MAX_BARS = 4_000  # the sim market generates 5,000 bars


@dataclass(frozen=True, slots=True)
class BacktestRun:
    venue: str
    symbols: tuple[str, ...]
    seed: int
    timeframe: str
    result: BacktestResult


def config(settings: Settings) -> BacktestConfig:
    return BacktestConfig(
        spec=engine_spec(settings), risk=settings.risk, exits=settings.exits,
        starting_cash=Decimal(str(settings.paper.starting_cash)), window=settings.marketdata.history_bars,
        bar_ms=timeframe_ms(settings.marketdata.timeframe), cost_method=settings.positions.cost_method,
    )  # fmt: skip


def _history(gateway: VenueGateway, symbol: str, tf: str, since: int, count: int) -> np.ndarray:
    rows: list[list[float]] = []
    while len(rows) < count:
        got = gateway.fetch_ohlcv(symbol, tf, since, min(1000, count - len(rows)))
        if not got:
            break
        rows += got
        since = int(got[-1][0]) + timeframe_ms(tf)
    return np.asarray(rows, dtype=np.float64).reshape(-1, 6)


def load_history(
    settings: Settings, bars: int, symbols: int
) -> tuple[str, list[SymbolCandles], dict[tuple[str, str], MarketRules]]:
    """(venue, candles, market rules) of the ``symbols`` most traded sim symbols: ``bars`` bars + the warm-up."""
    if not 1 <= bars <= MAX_BARS:
        raise ConfigurationError(f"bars: {bars} is not in [1, {MAX_BARS}]")
    if symbols < 1:
        raise ConfigurationError(f"symbols: {symbols} must be ≥ 1")
    tf, step, min_bars = settings.marketdata.timeframe, timeframe_ms(settings.marketdata.timeframe), _min_bars(settings)
    end = wiring.first_as_of_ms(settings) + bars * step
    venue = settings.sim.venues[0]
    gateway = default_sim_venues(settings.seed, SimClock(end), bad_data_every=0)[venue]
    markets, tickers = gateway.load_markets(), gateway.fetch_tickers()
    chosen = sorted(tickers, key=lambda s: (-float(tickers[s].get("quoteVolume") or 0), s))[:symbols]
    count = bars + min_bars - 1
    series = []
    for symbol in chosen:
        raw = _history(gateway, symbol, tf, end - end % step - count * step, count)
        columns = {
            n: np.ascontiguousarray(raw[:, i + 1]) for i, n in enumerate(("open", "high", "low", "close", "volume"))
        }
        series.append(symbol_candles(venue, symbol, columns, raw[:, 0].astype(np.int64)))
    return venue, series, {(venue, s): venue_mapping.market_rules(markets[s]) for s in chosen}


def _min_bars(settings: Settings) -> int:
    return engine_spec(settings).min_bars


def backtest(settings: Settings, bars: int = 500, symbols: int = 3) -> BacktestRun:
    """Replay ``bars`` bars of the ``symbols`` most traded sim symbols (deterministic per ``settings.seed``)."""
    venue, series, rules = load_history(settings, bars, symbols)
    result = run_backtest(series, rules, config(settings))
    chosen = tuple(s.symbol for s in series)
    return BacktestRun(venue, chosen, settings.seed, settings.marketdata.timeframe, result)


def write_plot(settings: Settings, run: BacktestRun, name: str) -> Path:
    """The equity curve as SVG under ``state_dir/backtests/<name>.svg``."""
    path = Path(settings.state_dir).resolve() / "backtests" / f"{safe_path_component('name', name)}.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    title = f"equity, {run.venue} {', '.join(run.symbols)} ({run.timeframe}, seed {run.seed})"
    path.write_text(equity_svg(run.result.equity, title))
    return path
