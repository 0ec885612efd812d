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
        ("[sim]\nvenues = ['sim-alpha', 'sim-nowhere']\n", "sim.venues"),
        ("[risk]\ntrade_size_pct = true\n", "risk.trade_size_pct"),
        ("[reconcile]\ntolerance = inf\n", "reconcile.tolerance"),
        ("[protections]\nenabled = ['nope']\n", "protections.enabled"),
        ("database_url = 'mysql://trader:hunter2@db/x'\n", "database_url"),
        ("database_url = 'postgresql://trader:hunter2@db:5432x/x'\n", "database_url"),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "out-of-range",
        "unknown-venue",
        "bool-for-number",
        "infinite",
        "unknown-plugin",
        "unsupported-database",
        "unparsable-database",
    ],
)
def test_bad_config_exits_2_naming_the_field_and_writes_nothing(tmp_path: Path, text: str, field: str) -> None:
    state = tmp_path / "state"
    config = tmp_path / "bad.toml"
    config.write_text(f'state_dir = "{state}"\n{text}')
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 2
    assert field in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output
    assert not state.exists()


def test_positions_on_a_new_ledger_says_none_are_open(tmp_path: Path) -> None:
    config = tmp_path / "ok.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    result = runner.invoke(app, ["positions", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "no open positions" in result.output


def test_summary_tables_show_every_headline_figure_in_80_columns() -> None:
    from rich.console import Console

    from tradepipe.cli import summary_tables
    from tradepipe.core.reporting import CycleSummary

    summary = CycleSummary(
        run_id="run-x", cycle=3, as_of="2026-01-26 00:00 UTC", universe=40, batches=4, signals=9, orders=7,
        fills=8, exits=1, cash="18549.59", equity="19998.58", cache_hits=1, cache_misses=3,
        quarantined=[{"venue": "sim-alpha", "symbol": "AAVE/USDT", "check": "nan_values", "detail": "1 bar"}],
        stage_seconds={"discover": 0.27, "fetch": 0.04},
        open_positions=[{"venue": "sim-beta", "symbol": "SOL/USDT", "amount": "1.93", "entry": "123.6",
                         "mark": "126.3", "stop": "115", "target": "136.4"}],
    )  # fmt: skip
    console = Console(width=80, record=True)
    console.print(summary_tables(summary.as_dict()))
    text = console.export_text()
    for figure in ("Cycle 3", "40", "19998.58", "18549.59", "1/3", "0.27", "SOL/USDT", "AAVE/USDT", "nan_values"):
        assert figure in text
    assert "…" not in text  # nothing truncated at 80 columns


def test_unreadable_config_and_bad_environment_exit_2_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default state dir ("state") would land here
    latin = tmp_path / "latin1.toml"
    latin.write_bytes("[paper]\nquote = 'EUR€'\n".encode("cp1252"))
    taken = tmp_path / "taken"
    taken.write_text("a file")
    ok = tmp_path / "ok.toml"
    ok.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    (tmp_path / "state_file.toml").write_text(f'state_dir = "{taken}"\n')
    cases = [
        (["--config", str(tmp_path)], {}, "cannot be read"),
        (["--config", str(latin)], {}, "is not UTF-8"),
        (["--config", str(tmp_path / "state_file.toml")], {}, "state_dir"),
        (["--config", str(ok)], {"TRADEPIPE_SIM__VENUES": "[bad"}, "TRADEPIPE_SIM__VENUES"),
    ]
    for args, env, words in cases:
        result = runner.invoke(app, ["run", *args], env=env)
        assert result.exit_code == 2, (args, result.output)
        assert words in " ".join(result.output.split()) and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latin1.toml", "ok.toml", "state_file.toml", "taken"]
    assert taken.read_text() == "a file"
