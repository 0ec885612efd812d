"""Reconciliation with planted differences of every kind, paper and "live" side by side, on SQLite and PostgreSQL.

The paper account trades on ``PaperBroker`` wallets; the live account on a ``SimExchange`` posing as a live venue
(no real venue is reachable offline). Both share the ledger tables, told apart by ``account``. Each planted
difference must be stored (kind, expected, actual, delta, resolution) and resolved by its policy.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.adapters.venues.sim_exchange import FaultPlan, default_sim_venues
from tradepipe.clock import SimClock
from tradepipe.config import Settings
from tradepipe.core import execution, venue_mapping
from tradepipe.core.execution.ids import client_order_id
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.orders import EventKind, IntentPurpose, OrderIntent, OrderStatus, OrderType, Side
from tradepipe.domain.portfolio import LIVE, PAPER
from tradepipe.stages import start
from tradepipe.stages.marks import portfolio_state
from tradepipe.stages.reconcile import reconcile_accounts

VENUE = "sim-alpha"
SYMBOL = "BTC/USDT"


class World:
    def __init__(self, settings: Settings, ctx: CycleContext) -> None:
        self.settings, self.ctx = settings, ctx
        self.paper = wiring.gateways(settings, ctx.as_of_ms)[VENUE]
        self.live = default_sim_venues(settings.seed, SimClock(ctx.as_of_ms), bad_data_every=0)[VENUE]
        self.ledger = wiring.ledger(settings)
        self.live_ledger = self.ledger.for_account(LIVE)
        self.live_ledger.fund(VENUE, "USDT", Decimal("100000"))  # the SimExchange account's starting balance
        self.runs = 0

    def accounts(self) -> dict[str, dict[str, Any]]:
        return {PAPER: {VENUE: self.paper}, LIVE: {VENUE: self.live}}

    def buy(self, account: str, amount: str = "0.01") -> None:
        gateway, ledger = (self.paper, self.ledger) if account == PAPER else (self.live, self.live_ledger)
        self.runs += 1
        intent = OrderIntent(
            client_order_id(self.ctx.run_id, VENUE, SYMBOL, f"buy-{account}", self.runs), self.ctx.run_id, VENUE,
            SYMBOL, Side.BUY, Decimal(amount), OrderType.MARKET, IntentPurpose.ENTRY, Decimal("1"),
            stop_loss=Decimal("1"),
        )  # fmt: skip
        report = execution.execute_intents([intent], {VENUE: gateway}, ledger)
        assert report.filled == [intent.client_order_id]

    def reconcile(self) -> dict[str, Any]:
        results = reconcile_accounts(self.settings, self.ctx.run_id, self.ctx.as_of_ms, self.accounts())
        return {r.account: r for r in results}

    def stored_diffs(self) -> list[tuple[Any, ...]]:
        with self.ledger.engine.connect() as conn:
            return [
                (*r[:4], *(Decimal(str(v)) for v in r[4:7]), r[7])  # raw SQL: SQLite gives the money as text
                for r in conn.execute(
                    text(
                        "select r.account, r.status, d.kind, d.asset, d.expected, d.actual, d.delta, d.resolution "
                        "from reconciliation_diffs d join reconciliations r on r.id = d.reconciliation_id order by d.id"
                    )
                )
            ]


@pytest.fixture
def world(ledger_url: str, tmp_path: Path) -> World:
    settings = make_settings(tmp_path / "state", database_url=ledger_url, sim={"venues": [VENUE]},
                             reconcile={"grace_seconds": 0})  # fmt: skip
    ctx = start.open_cycle(settings, "run-1")
    world = World(settings, ctx)
    world.buy(PAPER)
    world.buy(LIVE)
    return world


def test_paper_and_live_reconcile_clean_side_by_side(world: World) -> None:
    results = world.reconcile()
    assert {a: r.status for a, r in results.items()} == {PAPER: "clean", LIVE: "clean"}
    assert [p.account for p in world.ledger.open_positions()] == [PAPER]
    assert [p.account for p in world.live_ledger.open_positions()] == [LIVE]
    assert world.ledger.open_positions()[0].amount == world.live_ledger.open_positions()[0].amount
    with world.ledger.engine.connect() as conn:
        rows = conn.execute(text("select account, counterparty, status from reconciliations order by id")).all()
    assert [tuple(r) for r in rows] == [(PAPER, "paper_wallet", "clean"), (LIVE, "exchange", "clean")]


def test_a_fill_missing_in_the_ledger_is_imported(world: World) -> None:
    world.live.create_order("ETH/USDT", "market", "buy", 0.5, None, {"clientOrderId": "by-hand-1"})  # behind our back
    world.paper.create_order(SYMBOL, "market", "buy", 0.002)  # no client id at all
    results = world.reconcile()
    assert results[LIVE].status == "resolved" and results[PAPER].status == "resolved"
    (paper_diff,) = results[PAPER].diffs
    (live_diff,) = results[LIVE].diffs
    assert (live_diff.kind, live_diff.asset, live_diff.resolution) == ("missing_fill", "ETH", "imported")
    assert live_diff.delta == Decimal("0.5")
    assert (paper_diff.kind, paper_diff.delta, paper_diff.resolution) == ("missing_fill", Decimal("0.002"), "imported")
    eth = [p for p in world.live_ledger.open_positions() if p.symbol == "ETH/USDT"]
    assert len(eth) == 1 and eth[0].amount == Decimal("0.5")
    assert world.ledger.open_positions()[0].amount == Decimal("0.012")
    (imported,) = [f for f in world.live_ledger.fill_history() if f["symbol"] == "ETH/USDT"]
    assert imported["client_order_id"].startswith("rec")  # not our client id: a deterministic one of our own
    assert imported["reason"].startswith("imported by reconciliation") and imported["purpose"] == "entry"
    assert {a: r.status for a, r in world.reconcile().items()} == {PAPER: "clean", LIVE: "clean"}
    assert [(d[0], d[2], d[7]) for d in world.stored_diffs()] == [
        (PAPER, "missing_fill", "imported"), (LIVE, "missing_fill", "imported"),
    ]  # fmt: skip
    assert portfolio_state(world.settings, world.ledger.open_positions(), {}).halted is None


def test_an_order_of_ours_follows_the_fills_reconcile_imports(world: World) -> None:
    cid = "tp-killed-1"
    intent = OrderIntent(cid, world.ctx.run_id, VENUE, SYMBOL, Side.BUY, Decimal("0.01"), OrderType.MARKET,
                         IntentPurpose.ENTRY, Decimal("1"))  # fmt: skip
    assert world.ledger.add_intent(intent, submitted=True)
    world.paper.create_order(SYMBOL, "market", "buy", 0.01, None, {"clientOrderId": cid})  # killed before the ack
    cash = world.ledger.cash()[(VENUE, "USDT")]
    (diff,) = world.reconcile()[PAPER].diffs
    assert (diff.kind, diff.resolution, diff.delta) == ("missing_fill", "imported", Decimal("0.01"))
    order = world.ledger.tracked(cid)
    assert order is not None and (order.status, order.filled) == (OrderStatus.FILLED, Decimal("0.01"))
    events = world.ledger.order_events(cid)
    assert [e.kind for e in events] == [EventKind.INITIALIZED, EventKind.SUBMITTED, EventKind.ACCEPTED,
                                        EventKind.FILLED]  # fmt: skip
    assert events[-1].trade_id is not None and events[-1].detail.startswith("imported by reconciliation")
    assert world.ledger.open_orders() == [] and world.ledger.cash()[(VENUE, "USDT")] < cash
    assert world.ledger.open_positions()[0].amount == Decimal("0.02")
    assert world.reconcile()[PAPER].status == "clean"


def test_an_order_the_venue_no_longer_lists_is_looked_up_never_assumed_canceled(world: World) -> None:
    intent = OrderIntent("tp-resting-1", world.ctx.run_id, VENUE, SYMBOL, Side.BUY, Decimal("0.01"),
                         OrderType.LIMIT, IntentPurpose.ENTRY, Decimal("1000"))  # fmt: skip
    world.ledger.add_intent(intent)
    raw = world.paper.create_order(SYMBOL, "limit", "buy", 0.01, 1000.0, {"clientOrderId": "tp-resting-1"})
    world.ledger.record_order(venue_mapping.order(VENUE, raw, "tp-resting-1", []))
    assert [o.client_order_id for o in world.ledger.working_orders(VENUE)] == ["tp-resting-1"]
    assert world.reconcile()[PAPER].status == "clean"  # listed open on both sides
    world.paper.cancel_order(raw["id"], SYMBOL)  # canceled on the venue; the ledger did not hear of it
    (diff,) = world.reconcile()[PAPER].diffs
    assert (diff.kind, diff.reference, diff.resolution) == ("phantom_order", "tp-resting-1", "looked_up:canceled")
    assert world.ledger.working_orders(VENUE) == []
    with world.ledger.engine.connect() as conn:
        assert conn.execute(text("select status from orders where client_order_id = 'tp-resting-1'")).scalar() == (
            "canceled"
        )


def test_within_the_grace_window_an_unlisted_order_is_left_alone(world: World, tmp_path: Path) -> None:
    settings = world.settings.model_copy(update={"reconcile": world.settings.reconcile.model_copy(
        update={"grace_seconds": 3600.0})})  # fmt: skip
    world.ledger.add_intent(OrderIntent("tp-young", world.ctx.run_id, VENUE, SYMBOL, Side.BUY, Decimal("0.01"),
                                        OrderType.LIMIT, IntentPurpose.ENTRY, Decimal("1000")))  # fmt: skip
    raw = world.paper.create_order(SYMBOL, "limit", "buy", 0.01, 1000.0, {"clientOrderId": "tp-young"})
    world.ledger.record_order(venue_mapping.order(VENUE, raw, "tp-young", []))
    world.paper.cancel_order(raw["id"], SYMBOL)
    (result,) = reconcile_accounts(settings, world.ctx.run_id, world.ctx.as_of_ms, {PAPER: {VENUE: world.paper}})
    assert result.status == "clean"
    assert [o.client_order_id for o in world.ledger.working_orders(VENUE)] == ["tp-young"]


def test_balance_drift_halts_entries_until_clean_and_resumed(world: World) -> None:
    world.live.account.state.balances["USDT"] -= Decimal("12.5")  # a charge no trade explains
    results = world.reconcile()
    assert results[PAPER].status == "clean"
    (diff,) = results[LIVE].diffs
    assert (diff.kind, diff.asset, diff.delta, diff.resolution) == ("cash_drift", "USDT", Decimal("-12.5"), "halted")
    assert results[LIVE].status == "mismatch"
    assert world.live_ledger.unresolved_reconciliations() == 1
    (halt,) = world.live_ledger.active_halts()
    assert halt.source == "reconciliation" and "cash_drift" in halt.reason
    assert world.ledger.active_halts() == []  # the paper account keeps trading
    (stored,) = [d for d in world.stored_diffs() if d[0] == LIVE]
    assert stored[1:] == ("mismatch", "cash_drift", "USDT", diff.expected, diff.actual, Decimal("-12.5"), "halted")
    world.live.account.state.balances["USDT"] += Decimal("12.5")  # the operator sorts it out
    assert world.reconcile()[LIVE].status == "clean"
    assert world.live_ledger.unresolved_reconciliations() == 0
    assert len(world.live_ledger.active_halts()) == 1  # still halted: a person must resume
    assert world.live_ledger.clear_halts(by="test") == 1 and world.live_ledger.active_halts() == []


def test_an_unknown_position_on_the_venue_halts_entries(world: World) -> None:
    world.paper.account.state.balances["DOGE"] = Decimal("1000")  # a deposit the ledger knows nothing of
    result = world.reconcile()[PAPER]
    (diff,) = result.diffs
    assert (diff.kind, diff.asset, diff.expected, diff.actual) == ("unknown_position", "DOGE", 0, Decimal("1000"))
    assert result.status == "mismatch"
    state = portfolio_state(world.settings, world.ledger.open_positions(), {})
    assert state.halted is not None and "unknown_position" in state.halted


def test_positions_that_disagree_with_their_fills_are_rebuilt(world: World) -> None:
    with world.ledger.engine.begin() as conn:
        conn.execute(text("update positions set realized_pnl = '5', fees = '0' where account = 'paper'"))
    (diff,) = world.reconcile()[PAPER].diffs
    assert (diff.kind, diff.resolution) == ("position_rebuild", "rebuilt")
    (position,) = world.ledger.open_positions()
    assert position.realized_pnl == 0 and position.fees > 0
    assert position.stop_loss == Decimal("1")  # the exit state survives the rebuild
    assert world.reconcile()[PAPER].status == "clean"


def test_an_unreachable_venue_leaves_entries_waiting_without_a_halt_flag(world: World) -> None:
    world.live.faults = FaultPlan(seed=3, timeout={"fetch_my_trades": 1.0})
    (diff,) = world.reconcile()[LIVE].diffs
    assert (diff.kind, diff.resolution) == ("unreachable", "halted")
    assert world.live_ledger.unresolved_reconciliations() == 1 and world.live_ledger.active_halts() == []
    world.live.faults = FaultPlan()
    assert world.reconcile()[LIVE].status == "clean"
    assert world.live_ledger.unresolved_reconciliations() == 0
