"""The decision record: every evaluated symbol of a cycle is a ``decisions`` row with regime, routed
strategies, each signal, score, filter outcome and reason, queryable with ``tradepipe decisions``
(on SQLite and PostgreSQL; the schema comes from the migrations)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from tests.conftest import make_settings
from tests.unit.strategy.conftest import ohlcv_from_close, random_walk, write_batch
from tradepipe import wiring
from tradepipe.adapters.storage.decisions import DecisionStore
from tradepipe.cli import app
from tradepipe.core import risk
from tradepipe.core.strategy import DEFAULT_SPEC, evaluate_batch
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.strategy import Direction
from tradepipe.stages import evaluate as evaluate_stage
from tradepipe.stages.size import decision_rows

runner = CliRunner()


def test_every_symbol_is_recorded_and_queryable(ledger_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state", database_url=ledger_url, strategy={"top_n": 2, "min_score": 0.0})
    ledger = wiring.ledger(settings)
    symbols = {
        f"T{k}/USDT": ohlcv_from_close(random_walk(300, drift=0.004, sigma=0.006, seed=k), seed=k) for k in range(5)
    }
    symbols["SHORT/USDT"] = ohlcv_from_close(random_walk(20, seed=9), seed=9)
    path = write_batch(tmp_path / "batch.parquet", symbols)
    pairs = [("sim-alpha", s) for s in symbols] + [("sim-alpha", "GONE/USDT")]
    cycle = ledger.start_run("run-a", as_of_ms=0, mode="paper", seed=1)
    decisions = evaluate_stage.select_candidates(
        settings, CycleContext("run-a", cycle, 0), evaluate_batch(path, pairs, DEFAULT_SPEC)
    )
    ledger.record_decisions("run-a", decision_rows(decisions, risk.SizingOutcome((), ())))

    rows = DecisionStore(ledger.engine).query(run="run-a")
    assert len(rows) == len(pairs)
    by_symbol = {r["symbol"]: r for r in rows}
    verdicts = sorted(r["filter_outcome"] for r in rows)
    assert verdicts.count("candidate") == 2  # top_n = 2 of the trending symbols
    assert "filtered" in verdicts and "error" in verdicts and "flat" in verdicts
    filtered = next(r for r in rows if r["filter_outcome"] == "filtered")
    assert filtered["filter_reason"].startswith("top_n: rank") and filtered["reason"] == filtered["filter_reason"]
    assert by_symbol["GONE/USDT"]["error"].startswith("no candles") and by_symbol["GONE/USDT"]["outcome"] == "error"
    assert by_symbol["SHORT/USDT"]["summary"].startswith("insufficient_bars")
    long_row = next(r for r in rows if r["filter_outcome"] == "candidate")
    routes = json.loads(long_row["routes"])
    signals = json.loads(long_row["signals"])
    assert [name for name, _ in routes] == [s[0] for s in signals] and routes
    assert long_row["direction"] == Direction.LONG.value and 0 < long_row["regime_confidence"] <= 1
    assert len(long_row["data_hash"]) == 32
    assert [r["symbol"] for r in DecisionStore(ledger.engine).query(symbol="T1/USDT")] == ["T1/USDT"]
    assert DecisionStore(ledger.engine).query(run=str(cycle)) == rows  # a cycle number works as well

    config = tmp_path / "cli.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\ndatabase_url = "{ledger_url}"\n')
    shown = runner.invoke(app, ["decisions", "--symbol", "T1/USDT", "--config", str(config)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "T1/USDT" in shown.output and by_symbol["T1/USDT"]["regime"] in shown.output
    assert "T2/USDT" not in shown.output
    none = runner.invoke(app, ["decisions", "--run", "no-such-run", "--config", str(config)])
    assert none.exit_code == 0 and "no decisions recorded for that filter" in none.output
    assert np.isfinite(long_row["score"])
