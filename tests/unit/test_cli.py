"""The command line: help on every command, exit code 2 on bad config with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradepipe.cli import app

runner = CliRunner()


def test_help_lists_every_command_with_its_help() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "run" in result.output and "positions" in result.output
    for command, words in (("run", "--cycles"), ("positions", "ledger")):
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0
        assert words in sub.output


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[risk]\nfoo = 1\n", "risk.foo"),
        ("seed = 'x'\n", "seed"),
        ("[discovery]\nbatch_size = 0\n", "discovery.batch_size"),
    ],
    ids=["unknown-key", "wrong-type", "out-of-range"],
)
def test_bad_config_exits_2_naming_the_field_and_writes_nothing(tmp_path: Path, text: str, field: str) -> None:
    state = tmp_path / "state"
    config = tmp_path / "bad.toml"
    config.write_text(f'state_dir = "{state}"\n{text}')
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 2
    assert field in result.output
    assert not state.exists()


def test_positions_on_a_new_ledger_says_none_are_open(tmp_path: Path) -> None:
    config = tmp_path / "ok.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    result = runner.invoke(app, ["positions", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "no open positions" in result.output
