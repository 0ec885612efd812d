"""Backtest tasks: the replay (deterministic, never retried) and its report artifact with the equity curve."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tradepipe.config import Settings
from tradepipe.core.backtest import equity_svg, report_markdown
from tradepipe.stages import backtest as backtest_stage
from tradepipe.stages.backtest import BacktestRun


@task(name="backtest", cache_policy=NO_CACHE)
def replay(settings: Settings, bars: int, symbols: int) -> BacktestRun:
    return backtest_stage.backtest(settings, bars, symbols)


@task(name="backtest-report", cache_policy=NO_CACHE)
def publish(settings: Settings, run: BacktestRun, name: str) -> str:
    """Save the equity curve SVG under the state dir and publish the summary artifact; returns the SVG path."""
    path = backtest_stage.write_plot(settings, run, name)
    heading = f"Backtest {name}: {run.venue} {', '.join(run.symbols)} ({run.timeframe}, seed {run.seed})"
    markdown = report_markdown(run.result.summary(), heading, equity_svg(run.result.equity, heading), str(path))
    create_markdown_artifact(key="backtest-report", markdown=markdown, description=heading)
    return str(path)
