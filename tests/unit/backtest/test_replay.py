"""The backtest core on hand-built candles: trends pay, fees are charged, no decision sees a later bar."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest

from tradepipe.core.backtest import BacktestConfig, equity_svg, run_backtest
from tradepipe.core.strategy.engine import SymbolCandles
from tradepipe.domain.market import MarketRules
from tradepipe.errors import DataQualityError

KEY = ("v", "X/USDT")
START_MS = 1_767_225_600_000
HOUR = 3_600_000
RULES = {KEY: MarketRules(Decimal("0.0001"), Decimal("0.01"), Decimal("0.0001"), Decimal("5"), Decimal("0.001"))}
CONFIG = BacktestConfig(window=150)


def candles(close: np.ndarray, symbol: str = "X/USDT") -> SymbolCandles:
    open_ = np.concatenate(([close[0]], close[:-1]))
    columns = {"open": open_, "high": np.maximum(open_, close) * 1.002, "low": np.minimum(open_, close) * 0.998,
               "close": close, "volume": np.full(close.size, 1e6)}  # fmt: skip
    return SymbolCandles("v", symbol, columns, START_MS + np.arange(close.size, dtype=np.int64) * HOUR)


def walk(n: int, drift: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(drift + 0.004 * rng.standard_normal(n)))


@pytest.fixture(scope="module")
def rising() -> tuple[SymbolCandles, object]:
    series = candles(walk(300, 0.003))
    return series, run_backtest([series], RULES, CONFIG)


def test_a_rising_series_makes_money_with_trend_entries_and_profitable_exits(rising: tuple) -> None:
    _, result = rising
    assert result.total_return > 0 and result.final_equity > result.starting_cash
    assert len(result.trades) >= 3 and result.win_rate is not None and result.win_rate > 0.5
    assert all(o.side == "buy" and o.purpose == "entry" for o in result.orders if o.side == "buy")
    assert {o.purpose for o in result.orders if o.side == "sell"} <= {"take_profit", "stop_loss", "exit"}
    assert 0 < result.exposure < 1 and 0 <= result.max_drawdown < 0.05 and result.sharpe_per_bar > 0
    assert len(result.equity) == len(result.timestamps) == 300 - CONFIG.spec.min_bars + 1


def test_fees_are_the_taker_fee_of_every_fill_and_cost_equity(rising: tuple) -> None:
    series, result = rising
    for trade in result.trades:  # one buy at entry price and one sell at exit price, 0.1 % each
        expected = trade.amount * (trade.entry_price + trade.exit_price) * Decimal("0.001")
        assert abs(trade.fees - expected) < Decimal("1e-12")
    free = run_backtest([series], {KEY: replace(RULES[KEY], taker_fee=Decimal(0))}, CONFIG)
    assert free.fees == 0 and result.fees > 0
    assert free.final_equity > result.final_equity


def test_a_decision_at_bar_t_is_unchanged_when_later_bars_change(rising: tuple) -> None:
    series, result = rising
    t = 220
    close = series.columns["close"].copy()
    close[t + 1 :] = close[t + 1 :] * np.linspace(1.0, 0.5, close.size - t - 1)  # a crash after bar t
    altered = run_backtest([candles(close)], RULES, CONFIG)
    cutoff = int(series.timestamp[t]) + HOUR  # the close of bar t
    assert [o for o in altered.orders if o.decided_ms <= cutoff] == [o for o in result.orders if o.decided_ms <= cutoff]
    upto = result.timestamps.index(cutoff) + 1
    assert altered.equity[:upto] == result.equity[:upto]
    assert altered.equity[-1] != result.equity[-1]


def test_deterministic_and_bars_must_align(rising: tuple) -> None:
    series, result = rising
    assert run_backtest([series], RULES, CONFIG) == result
    other = candles(walk(299, 0.001, seed=2), "Y/USDT")
    with pytest.raises(DataQualityError, match="Y/USDT"):
        run_backtest([series, other], {**RULES, ("v", "Y/USDT"): RULES[KEY]}, CONFIG)


def test_equity_svg_is_one_polyline_point_per_bar(rising: tuple) -> None:
    _, result = rising
    svg = equity_svg(result.equity, "X <test>")
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "X &lt;test&gt;" in svg
    points = svg.split('points="')[1].split('"')[0].split()
    assert len(points) == len(result.equity)
