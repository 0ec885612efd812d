"""``tradepipe risk locks`` / ``release`` on a real ledger."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.adapters.storage.protections import ProtectionStore
from tradepipe.cli import app
from tradepipe.domain.risk import ANY, Lock

runner = CliRunner()
T0 = 1_800_000_000_000


def test_locks_are_listed_and_released_by_hand(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = tmp_path / "tradepipe.toml"
    config.write_text(f'state_dir = "{state}"\n')
    ledger = wiring.ledger(make_settings(state))
    ledger.start_run("run-1", as_of_ms=T0, mode="paper", seed=7)
    store = ProtectionStore(ledger.engine)
    store.add_locks(
        [
            Lock("cooldown", "sim-alpha", "BTC/USDT", "cooldown 120 min after the exit", T0 - 1, T0 + 3_600_000),
            Lock("max_drawdown", ANY, ANY, "equity drawdown 12.0% in 2880 min ≥ 10.0%", T0 - 1, T0 + 7_200_000),
            Lock("low_profit", "sim-alpha", "ETH/USDT", "expired", T0 - 10, T0 - 1),
        ]
    )
    shown = runner.invoke(app, ["risk", "locks", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    assert "cooldown" in shown.output and "max_drawdown" in shown.output and "BTC/USDT" in shown.output
    assert "expired" not in shown.output
    refused = runner.invoke(app, ["risk", "release", "--config", str(config)])
    assert refused.exit_code == 2
    released = runner.invoke(app, ["risk", "release", "-p", "max_drawdown", "--config", str(config)])
    assert released.exit_code == 0 and "released 1 lock(s)" in released.output
    assert [lk.protection for lk in store.active_locks(T0)] == ["cooldown"]


def test_releasing_an_unknown_protection_exits_2_naming_the_known_ones(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = tmp_path / "tradepipe.toml"
    config.write_text(f'state_dir = "{state}"\n')
    result = runner.invoke(app, ["risk", "release", "-p", "NOPE", "--config", str(config)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "unknown protection 'NOPE'; known: cooldown, low_profit, max_drawdown, stoploss_guard" in said
    assert "Traceback" not in said
    assert not state.exists()  # refused before the ledger was opened: nothing written


def test_sniper_command_judges_the_sim_feeds_new_pools(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = tmp_path / "tradepipe.toml"
    config.write_text(f'state_dir = "{state}"\n')
    ledger = wiring.ledger(make_settings(state))
    ledger.start_run("run-1", as_of_ms=wiring.SIM_START_MS + 25 * 86_400_000, mode="paper", seed=7)
    result = runner.invoke(app, ["risk", "sniper", "--config", str(config)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Sniper verdicts" in result.output
    assert "snipe" in result.output and "deny" in result.output
