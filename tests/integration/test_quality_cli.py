"""``tradepipe data quality``: the latest gate run as tables, one symbol with --symbol, clear errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import make_settings
from tests.integration.test_quality_gate import SYMBOLS, batch, nan_close, open_cycle
from tradepipe.cli import app
from tradepipe.stages import gate as gate_stage

runner = CliRunner()


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "tradepipe.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n[quality]\ngx_enabled = false\n')
    return path


def test_quality_prints_the_latest_report_and_one_symbol(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    settings = make_settings(tmp_path / "state", quality={"gx_enabled": False})
    for n in range(2):
        ctx = open_cycle(settings, n)
        gate_stage.gate(settings, ctx, [batch(settings, ctx.as_of_ms, plant={SYMBOLS[1]: nan_close})])
    result = runner.invoke(app, ["data", "quality", "-c", str(config)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "Quality gate — run-1" in result.output
    assert "2 · 0 · 1" in result.output  # pass · warn · quarantine
    assert "Worst symbols" in result.output and SYMBOLS[1] in result.output and "nan_values" in result.output
    assert "Open quarantine" in result.output and "0/3" in result.output
    one = runner.invoke(app, ["data", "quality", "--symbol", SYMBOLS[0], "-c", str(config)], env={"COLUMNS": "160"})
    assert one.exit_code == 0, one.output
    assert f"{SYMBOLS[0]} in run-1" in one.output and "pass" in one.output and "no open quarantine" in one.output


def test_quality_without_a_run_or_with_an_unknown_symbol_exits_1(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    empty = runner.invoke(app, ["data", "quality", "-c", str(config)])
    assert empty.exit_code == 1 and "no quality report yet" in empty.output
    settings = make_settings(tmp_path / "state", quality={"gx_enabled": False})
    ctx = open_cycle(settings, 0)
    gate_stage.gate(settings, ctx, [batch(settings, ctx.as_of_ms)])
    unknown = runner.invoke(app, ["data", "quality", "-s", "NOPE/USDT", "-c", str(config)])
    assert unknown.exit_code == 1 and "'NOPE/USDT' was not in the latest gate run" in unknown.output
    assert "quality" in runner.invoke(app, ["data", "--help"]).output
