"""A quarantined symbol leaves evaluation and new entries, but its open position still gets exit management."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.stages import discover as discover_stage
from tradepipe.stages import evaluate as evaluate_stage
from tradepipe.stages import execute as execute_stage
from tradepipe.stages import fetch as fetch_stage
from tradepipe.stages import gate as gate_stage
from tradepipe.stages import manage as manage_stage
from tradepipe.stages import size as size_stage
from tradepipe.stages import start

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]  # two cycles with Dask evaluation: ~40 s


def test_positions_in_quarantined_symbols_are_still_exited(tmp_path: Path) -> None:
    common = {"discovery": {"max_symbols": 20}, "quality": {"gx_enabled": False}}
    clean = make_settings(tmp_path / "state", sim={"bad_data_every": 0}, **common)
    ctx = start.open_cycle(clean, "run-1")
    fetched = fetch_stage.fetch(clean, ctx, discover_stage.discover(clean, ctx).batches)
    gate = gate_stage.gate(clean, ctx, fetched)
    assert gate.quarantined == ()
    decisions = evaluate_stage.evaluate(clean, ctx, gate.work)
    execute_stage.execute(clean, ctx, size_stage.size(clean, ctx, decisions, gate.quality_factor()))
    held = {p.key for p in wiring.ledger(clean).open_positions()}
    assert held

    # next bar: every symbol's feed now carries a bad candle (the candle store is emptied so the fetch reads the
    # whole window again instead of only the newest bar), and positions are due a time exit
    shutil.rmtree(tmp_path / "state" / "candles")
    bad = make_settings(
        tmp_path / "state", sim={"bad_data_every": 1}, exits={"rules": ["time_exit"], "max_hold_hours": 0.5}, **common
    )
    ctx = start.open_cycle(bad, "run-2")
    gate = gate_stage.gate(bad, ctx, fetch_stage.fetch(bad, ctx, discover_stage.discover(bad, ctx).batches))
    assert held <= set(gate.quarantined)
    assert gate.work == ()  # nothing reaches a strategy, so no new entry can be sized
    exits = manage_stage.manage(bad, ctx)
    intents = [wiring.ledger(bad).intent(cid) for cid in exits.placed]
    assert {(i.venue, i.symbol) for i in intents if i is not None} == held
    assert all(i is not None and i.side.value == "sell" for i in intents)
    assert {p.key for p in wiring.ledger(bad).open_positions()} == set()
