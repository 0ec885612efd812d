"""``tradepipe positions``, ``history`` and ``resume`` print rich tables from the ledger (no Prefect needed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.cli import app
from tradepipe.cli.common import console
from tradepipe.core import execution
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.stages import start
from tradepipe.stages.reconcile import reconcile_accounts

runner = CliRunner()


def book(tmp_path: Path) -> Path:
    settings = make_settings(tmp_path / "state", sim={"venues": ["sim-alpha"]})
    ctx = start.open_cycle(settings, "run-1")
    gateways = wiring.gateways(settings, ctx.as_of_ms)
    ledger = wiring.ledger(settings)
    steps = [("ETH/USDT", Side.BUY), ("ETH/USDT", Side.SELL), ("ETH/USDT", Side.BUY), ("BTC/USDT", Side.BUY),
             ("BTC/USDT", Side.SELL)]  # fmt: skip
    for n, (symbol, side) in enumerate(steps):
        amount = Decimal("0.2") if symbol == "ETH/USDT" else Decimal("0.01")
        intent = OrderIntent(f"tp-cli-{n}", "run-1", "sim-alpha", symbol, side, amount, OrderType.MARKET,
                             IntentPurpose.ENTRY if side is Side.BUY else IntentPurpose.EXIT, Decimal("1"),
                             stop_loss=Decimal("1") if side is Side.BUY else None, reason=f"step {n}")  # fmt: skip
        execution.execute_intents([intent], gateways, ledger)
    reconcile_accounts(settings, "run-1", ctx.as_of_ms, {"paper": gateways})
    ledger.finish_run("run-1", status="completed", equity=None, summary={})
    config = tmp_path / "tp.toml"
    config.write_text(f'state_dir = "{settings.state_dir}"\nsim.venues = ["sim-alpha"]\n')
    return config


def test_positions_history_and_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 220)  # the tables are wide; a narrow terminal shortens cells with "…"
    config = book(tmp_path)
    shown = runner.invoke(app, ["positions", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    for word in ("Open positions", "ETH/USDT", "0.2", "unrealised", "fees", "average cost"):
        assert word in shown.output
    history = runner.invoke(app, ["history", "--config", str(config), "--limit", "5"])
    assert history.exit_code == 0, history.output
    for word in ("Fills", "step 0", "step 2", "Closed positions", "Reconciliations", "clean", "sim-alpha"):
        assert word in history.output, word
    assert "nothing was halted" in runner.invoke(app, ["resume", "--config", str(config)]).output


def test_an_unknown_account_is_refused_with_the_option_named(tmp_path: Path) -> None:
    config = tmp_path / "tp.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    for command in ("positions", "history", "reconcile", "resume"):
        result = runner.invoke(app, [command, "--account", "demo", "--config", str(config)])
        assert result.exit_code == 2 and "--account" in result.output, command


def test_help_of_the_new_commands() -> None:
    for command, word in (("reconcile", "--account"), ("history", "--limit"), ("emergency-stop", "--leave-positions"),
                          ("resume", "halt")):  # fmt: skip
        result = runner.invoke(app, [command, "--help"], terminal_width=120)
        assert result.exit_code == 0 and word in result.output, command


def test_reconcile_of_an_account_this_config_does_not_trade_is_refused_before_any_flow(tmp_path: Path) -> None:
    config = tmp_path / "tp.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    result = runner.invoke(app, ["reconcile", "--account", "live", "--config", str(config)])
    assert result.exit_code == 2 and "mode = 'live'" in result.output
    assert not (tmp_path / "state" / "prefect").exists()
