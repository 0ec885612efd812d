"""The backtest flow under a real (temporary) Prefect API, and ``tradepipe backtest`` without one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.backtest import backtest
from tests.conftest import make_settings
from tradepipe.cli import app

pytestmark = pytest.mark.timeout(400)


def test_backtest_flow_publishes_the_summary_and_an_equity_svg(prefect_api: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state")
    first = backtest(settings=settings, bars=120, symbols=2, seed=11)
    assert first["seed"] == 11 and len(first["symbols"]) == 2 and first["bars"] == 120
    plot = Path(first["plot"])
    assert plot.parent == (tmp_path / "state" / "backtests").resolve() and plot.read_text().startswith("<svg")
    again = backtest(settings=settings, bars=120, symbols=2, seed=11)  # deterministic per seed
    assert {k: v for k, v in again.items() if k != "plot"} == {k: v for k, v in first.items() if k != "plot"}


def test_backtest_cli_prints_the_summary_table(tmp_path: Path) -> None:
    config = tmp_path / "tp.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    result = CliRunner().invoke(app, ["backtest", "--bars", "100", "--symbols", "1", "--seed", "3", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "total return" in result.output and "max drawdown" in result.output and "sharpe per bar" in result.output
    assert "equity curve:" in result.output and list((tmp_path / "state" / "backtests").glob("*.svg"))
    bad = CliRunner().invoke(app, ["backtest", "--bars", "0", "-c", str(config)])
    assert bad.exit_code != 0
