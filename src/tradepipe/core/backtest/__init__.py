"""Backtests: history replayed through the live cycle's strategy, risk and exit code (pure, deterministic)."""

from tradepipe.core.backtest.plot import equity_svg, report_markdown
from tradepipe.core.backtest.replay import BacktestConfig, run_backtest
from tradepipe.core.backtest.result import BacktestResult, OrderRecord, Trade

__all__ = ["BacktestConfig", "BacktestResult", "OrderRecord", "Trade", "equity_svg", "report_markdown", "run_backtest"]
