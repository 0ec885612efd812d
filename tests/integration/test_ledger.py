"""The ledger repository on SQLite and on PostgreSQL: migrations, exact money, idempotent writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import inspect

from tradepipe.adapters.storage.database import current_revision, head_revision, make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.core.reconcile import rebuild_positions
from tradepipe.domain.orders import Fill, IntentPurpose, Order, OrderIntent, OrderStatus, OrderType, Side
from tradepipe.errors import LedgerError

TABLES = {
    "runs",
    "stage_runs",
    "quarantine",
    "decisions",
    "order_intents",
    "orders",
    "fills",
    "positions",
    "balances",
    "reconciliations",
    "reconciliation_diffs",
}


@pytest.fixture
def ledger(ledger_url: str) -> Ledger:
    engine = make_engine(ledger_url)
    migrate(engine)
    ledger = Ledger(engine)
    ledger.start_run("run-1", as_of_ms=1_000, mode="paper", seed=7)
    ledger.fund("sim", "USDT", Decimal("1000"))
    return ledger


def intent(cid: str, side: Side = Side.BUY, amount: str = "2.5") -> OrderIntent:
    return OrderIntent(
        client_order_id=cid,
        run_id="run-1",
        venue="sim",
        symbol="ABC/USDT",
        side=side,
        amount=Decimal(amount),
        order_type=OrderType.MARKET,
        purpose=IntentPurpose.ENTRY,
        reference_price=Decimal("10"),
        stop_loss=Decimal("9"),
        take_profit=Decimal("12"),
    )


def filled_order(cid: str, trades: list[tuple[str, str, str, str]], side: Side = Side.BUY) -> Order:
    fills = tuple(
        Fill("sim", tid, f"o-{cid}", cid, "ABC/USDT", side, Decimal(a), Decimal(p), Decimal(f), "USDT", 1_000)
        for tid, a, p, f in trades
    )
    total = sum((f.amount for f in fills), Decimal(0))
    return Order(
        "sim", f"o-{cid}", cid, "ABC/USDT", side, OrderType.MARKET, total, total, None, OrderStatus.FILLED, 1_000, fills
    )


def test_migrations_create_every_table_and_reach_head(ledger: Ledger) -> None:
    assert set(inspect(ledger.engine).get_table_names()) >= TABLES
    assert current_revision(ledger.engine) == head_revision()
    assert migrate(ledger.engine) == head_revision()  # running again is a no-op


def test_money_round_trips_exactly(ledger: Ledger) -> None:
    ledger.add_intent(intent("c1", amount="24.7"))
    ledger.record_order(filled_order("c1", [("t1", "24.7", "0.1", "0.00247")]))
    [position] = ledger.open_positions()
    assert position.amount == Decimal("24.7")
    assert ledger.cash()[("sim", "USDT")] == Decimal("1000") - Decimal("2.47") - Decimal("0.00247")


def test_intent_is_idempotent_by_client_order_id(ledger: Ledger) -> None:
    assert ledger.add_intent(intent("c1")) is True
    assert ledger.add_intent(intent("c1")) is False
    assert [i.client_order_id for i in ledger.unresolved_intents()] == ["c1"]


def test_fills_are_deduplicated_by_venue_and_trade_id(ledger: Ledger) -> None:
    ledger.add_intent(intent("c1"))
    order = filled_order("c1", [("t1", "1.5", "10", "0.015"), ("t2", "1", "10.2", "0.0102")])
    assert len(ledger.record_order(order)) == 2
    assert ledger.record_order(order) == []  # the same report again changes nothing
    [position] = ledger.open_positions()
    assert position.amount == Decimal("2.5")
    assert position.average_price == (Decimal("15") + Decimal("10.2")) / Decimal("2.5")
    assert position.stop_loss == Decimal("9") and position.take_profit == Decimal("12")
    assert ledger.cash()[("sim", "USDT")] == Decimal("1000") - Decimal("25.2") - Decimal("0.0252")
    assert ledger.unresolved_intents() == []


def test_materialised_positions_equal_positions_rebuilt_from_fills(ledger: Ledger) -> None:
    ledger.add_intent(intent("c1"))
    ledger.record_order(filled_order("c1", [("t1", "2.5", "10", "0.025")]))
    ledger.add_intent(intent("c2", Side.SELL, "1"))
    ledger.record_order(filled_order("c2", [("t2", "1", "11", "0.011")], Side.SELL))
    [position] = ledger.open_positions()
    rebuilt = rebuild_positions(ledger.fills())[("sim", "ABC/USDT")]
    assert (rebuilt.amount, rebuilt.average_price, rebuilt.realized_pnl) == (
        position.amount,
        position.average_price,
        position.realized_pnl,
    )
    assert position.realized_pnl == Decimal("1") * (Decimal("11") - Decimal("10"))  # gross; fees kept apart
    assert position.fees == Decimal("0.011") + Decimal("0.025")


def test_selling_more_than_held_is_refused_and_nothing_is_written(ledger: Ledger) -> None:
    ledger.add_intent(intent("c1", Side.SELL, "1"))
    with pytest.raises(LedgerError):
        ledger.record_order(filled_order("c1", [("t1", "1", "10", "0")], Side.SELL))
    assert ledger.fills() == []
    assert ledger.cash()[("sim", "USDT")] == Decimal("1000")


def test_a_new_run_marks_a_run_left_running_as_crashed(ledger: Ledger) -> None:
    assert ledger.start_run("run-2", as_of_ms=2_000, mode="paper", seed=7) == 2
    with ledger.engine.connect() as conn:
        statuses = dict(conn.exec_driver_sql("select run_id, status from runs").fetchall())
    assert statuses == {"run-1": "crashed", "run-2": "running"}
    assert ledger.last_as_of_ms() == 2_000


def test_quarantine_is_refreshed_then_released(ledger: Ledger) -> None:
    ledger.quarantine("run-1", [("sim", "BAD/USDT", "nan_values", "1 bar")])
    ledger.quarantine("run-1", [("sim", "BAD/USDT", "nan_values", "2 bars")])
    assert ledger.quarantined() == {("sim", "BAD/USDT")}
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*), max(detail) from quarantine").one() == (1, "2 bars")
    assert ledger.release_quarantine([("sim", "BAD/USDT")]) == 1
    assert ledger.quarantined() == set()


def test_unresolved_reconciliation_counts_only_the_newest_per_venue(ledger: Ledger) -> None:
    diff = {
        "kind": "cash_drift",
        "asset": "USDT",
        "expected": Decimal(1),
        "actual": Decimal(2),
        "delta": Decimal(1),
        "resolution": "halted",
    }
    ledger.record_reconciliation("run-1", "sim", "paper_wallet", "mismatch", [diff])
    assert ledger.unresolved_reconciliations() == 1
    ledger.record_reconciliation("run-1", "sim", "paper_wallet", "clean", [])
    assert ledger.unresolved_reconciliations() == 0
