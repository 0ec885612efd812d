"""Two whole cycles through the stage services (no Prefect) on SQLite and on PostgreSQL: same ledger outcome."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core.reconcile import rebuild_positions
from tradepipe.core.reporting import CycleSummary
from tradepipe.stages import discover as discover_stage
from tradepipe.stages import evaluate as evaluate_stage
from tradepipe.stages import execute as execute_stage
from tradepipe.stages import fetch as fetch_stage
from tradepipe.stages import gate as gate_stage
from tradepipe.stages import manage as manage_stage
from tradepipe.stages import reconcile as reconcile_stage
from tradepipe.stages import report as report_stage
from tradepipe.stages import size as size_stage
from tradepipe.stages import start


def run_cycle(settings: Settings, run_id: str) -> CycleSummary:
    ctx = start.open_cycle(settings, run_id)
    universe = discover_stage.discover(settings, ctx)
    fetched = fetch_stage.fetch(settings, ctx, universe.batches)
    gate = gate_stage.gate(settings, ctx, fetched)
    decisions = evaluate_stage.evaluate(settings, ctx, gate.work)
    sized = size_stage.size(settings, ctx, decisions, gate.quality_factor())
    entries = execute_stage.execute(settings, ctx, sized)
    exits = manage_stage.manage(settings, ctx)
    reconciliations = reconcile_stage.reconcile(settings, ctx)
    return report_stage.report(
        settings, ctx, universe_size=len(universe.entries), batches=len(universe.batches),
        cache_hits=sum(f.cache_hit for f in fetched), gate=gate, signals=len(sized.intents),
        entries=entries, exits=exits, reconciliations=reconciliations,
    )  # fmt: skip


def test_two_cycles_leave_a_consistent_ledger(ledger_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state", database_url=ledger_url, discovery={"max_symbols": 20})
    first, second = run_cycle(settings, "run-1"), run_cycle(settings, "run-2")
    assert first.orders > 0 and first.reconciliation == "clean" and second.reconciliation == "clean"
    ledger = wiring.ledger(settings)
    with ledger.engine.connect() as conn:
        statuses = conn.execute(text("select status, count(*) from runs group by status")).all()
        unresolved = conn.execute(text("select count(*) from order_intents where status in ('pending', 'sent')"))
        assert dict(statuses) == {"completed": 2}
        assert unresolved.scalar() == 0
    open_positions = {(p.venue, p.symbol): p for p in ledger.open_positions()}
    rebuilt = {k: p for k, p in rebuild_positions(ledger.fills()).items() if p.amount > 0}
    assert set(rebuilt) == set(open_positions)
    for key, position in rebuilt.items():
        stored = open_positions[key]
        assert (position.amount, position.average_price, position.cost_basis, position.realized_pnl) == (
            stored.amount, stored.average_price, stored.cost_basis, stored.realized_pnl,
        )  # fmt: skip
    quote_cash = sum((v for (_, asset), v in ledger.cash().items() if asset == "USDT"), Decimal(0))
    assert f"{quote_cash:.2f}" == second.cash
