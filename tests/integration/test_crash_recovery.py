"""A crash between committing an intent and recording the venue's answer is recovered by lookup, never resent."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core.execution.ids import client_order_id
from tradepipe.core.risk import SizingOutcome
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.errors import ConfigurationError
from tradepipe.stages import execute as execute_stage
from tradepipe.stages import marks, start
from tradepipe.stages import reconcile as reconcile_stage

NOTHING = SizingOutcome((), ())


def entry_intent(ctx: CycleContext) -> OrderIntent:
    return OrderIntent(
        client_order_id=client_order_id(ctx.run_id, "sim-alpha", "BTC/USDT", "buy", 0),
        run_id=ctx.run_id,
        venue="sim-alpha",
        symbol="BTC/USDT",
        side=Side.BUY,
        amount=Decimal("0.01"),
        order_type=OrderType.MARKET,
        purpose=IntentPurpose.ENTRY,
        reference_price=Decimal("1"),
        stop_loss=Decimal("1"),
        take_profit=Decimal("1000000"),
    )


def venue_client_ids(settings: Settings) -> list[str]:
    orders = json.loads((Path(settings.state_dir) / "paper" / "sim-alpha.json").read_text())["account"]["orders"]
    return [o["client_order_id"] for o in (orders.values() if isinstance(orders, dict) else orders)]


def test_crash_after_commit_before_send_is_abandoned_not_sent(settings: Settings) -> None:
    crashed = start.open_cycle(settings, "run-crashed")
    intent = entry_intent(crashed)
    assert wiring.ledger(settings).add_intent(intent)
    # the process dies here: the intent is committed, the venue was never called

    ctx = start.open_cycle(settings, "run-next")
    report = execute_stage.execute(settings, ctx, NOTHING)
    assert report.abandoned == [intent.client_order_id]
    assert report.placed == [] and report.recovered == []
    assert venue_client_ids(settings) == []  # the venue never saw it, and recovery did not send it
    assert wiring.ledger(settings).unresolved_intents() == []
    assert all(r.status == "clean" for r in reconcile_stage.reconcile(settings, ctx))


def test_crash_after_send_before_record_is_recovered_once(settings: Settings) -> None:
    crashed = start.open_cycle(settings, "run-crashed")
    intent = entry_intent(crashed)
    ledger = wiring.ledger(settings)
    assert ledger.add_intent(intent)
    broker = wiring.gateways(settings, crashed.as_of_ms)["sim-alpha"]
    broker.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": intent.client_order_id})
    # the process dies here: the venue filled the order, the ledger does not know

    ctx = start.open_cycle(settings, "run-next")
    report = execute_stage.execute(settings, ctx, NOTHING)
    assert report.recovered == [intent.client_order_id]
    assert report.placed == [] and report.new_fills >= 1
    assert venue_client_ids(settings) == [intent.client_order_id]  # still one order at the venue
    [position] = ledger.open_positions()
    assert (position.symbol, position.amount) == ("BTC/USDT", Decimal("0.01"))
    assert all(r.status == "clean" for r in reconcile_stage.reconcile(settings, ctx))

    again = execute_stage.execute(settings, start.open_cycle(settings, "run-third"), NOTHING)
    assert again.recovered == [] and again.new_fills == 0  # nothing left to recover, nothing recorded twice


def test_reconcile_records_a_planted_wallet_drift_and_halts_entries(settings: Settings) -> None:
    ctx = start.open_cycle(settings, "run-1")
    wallet = Path(settings.state_dir) / "paper" / "sim-alpha.json"
    wiring.gateways(settings, ctx.as_of_ms)  # creates the wallets with the starting cash
    data = json.loads(wallet.read_text())
    data["account"]["balances"]["USDT"] = str(Decimal(data["account"]["balances"]["USDT"]) - Decimal("5"))
    wallet.write_text(json.dumps(data))
    wiring.gateways.cache_clear()

    results = {r.venue: r for r in reconcile_stage.reconcile(settings, ctx)}
    assert results["sim-beta"].status == "clean"
    [diff] = results["sim-alpha"].diffs
    assert (diff.kind, diff.asset, diff.expected - diff.actual) == ("cash_drift", "USDT", Decimal(5))
    state = marks.portfolio_state(settings, [], {})
    assert state.halted is not None and "reconciliation" in state.halted


def test_a_ledger_refuses_a_cycle_on_a_different_market_seed(settings: Settings) -> None:
    start.open_cycle(settings, "run-1")
    other = settings.model_copy(update={"seed": settings.seed + 1})
    with pytest.raises(ConfigurationError, match=r"seed: the ledger .* belongs to the market with seed 7"):
        start.open_cycle(other, "run-2")
    assert wiring.ledger(settings).last_as_of_ms() is not None
    with wiring.ledger(settings).engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from runs").scalar() == 1  # nothing written
