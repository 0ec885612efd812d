"""One truncated history file of a symbol nobody holds: that symbol is quarantined with the reason and its file
set aside; every other symbol goes on through the gate, and the held position still gets its stop-loss exit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.core import execution
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.stages import discover as discover_stage
from tradepipe.stages import fetch as fetch_stage
from tradepipe.stages import gate as gate_stage
from tradepipe.stages import manage as manage_stage
from tradepipe.stages import market_sources, start

HELD = ("sim-alpha", "ETH/USDT")


def test_a_truncated_partition_quarantines_its_symbol_and_exits_still_run(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "state", discovery={"max_symbols": 10}, quality={"gx_enabled": False}, sim={"bad_data_every": 0},
        exits={"rules": ["stop_loss"]},
    )  # fmt: skip
    ctx = start.open_cycle(settings, "run-1")
    universe = discover_stage.discover(settings, ctx)
    assert gate_stage.gate(settings, ctx, fetch_stage.fetch(settings, ctx, universe.batches)).quarantined == ()
    ledger = wiring.ledger(settings)
    buy = OrderIntent("tp-c-eth", "run-1", *HELD, Side.BUY, Decimal("0.4"), OrderType.MARKET, IntentPurpose.ENTRY,
                      Decimal("1"))  # fmt: skip
    assert len(execution.execute_intents([buy], wiring.gateways(settings, ctx.as_of_ms), ledger).filled) == 1
    with ledger.engine.begin() as conn:  # the stop is above the mark: the next manage must sell
        conn.execute(text("update positions set stop_loss = average_price * 2"))

    victim = next(e for e in universe.entries if (e.venue, e.symbol) != HELD and e.venue == "sim-alpha")
    directory = wiring.store(settings).partition(victim.venue, victim.symbol, settings.marketdata.timeframe)
    (part,) = directory.glob("part-*.parquet")
    part.write_bytes(part.read_bytes()[:200])  # a torn write: no parquet footer
    market_sources.window_cache.cache_clear()  # a new process: the next fetch reads the history from disk

    ctx = start.open_cycle(settings, "run-2")
    fetched = fetch_stage.fetch(settings, ctx, discover_stage.discover(settings, ctx).batches)
    assert [c[:2] for r in fetched for c in r.corrupt] == [(victim.venue, victim.symbol)]
    gate = gate_stage.gate(settings, ctx, fetched)
    assert gate.quarantined == ((victim.venue, victim.symbol),)
    (report,) = [r for r in gate.reports if (r.venue, r.symbol) == (victim.venue, victim.symbol)]
    assert report.issues[0].check == "corrupt_file" and part.name in report.issues[0].detail
    assert "moved to" in report.issues[0].detail
    assert sum(len(pairs) for _, pairs in gate.work) == len(universe.entries) - 1  # the rest goes on
    assert not part.exists() and len(list(directory.glob(f"{part.name}.corrupt-*"))) == 1
    exits = manage_stage.manage(settings, ctx)
    assert len(exits.filled) == 1 and ledger.open_positions() == []

    # the next cycle re-fetches a whole window for the symbol: clean again, it counts towards release
    ctx = start.open_cycle(settings, "run-3")
    fetched = fetch_stage.fetch(settings, ctx, discover_stage.discover(settings, ctx).batches)
    assert all(r.corrupt == () for r in fetched)
    clean = {(r.venue, r.symbol) for r in gate_stage.gate(settings, ctx, fetched).reports if r.score >= 0.9}
    assert (victim.venue, victim.symbol) in clean
