"""The order journal (``order_intents`` + ``order_events`` + ``orders`` + ``fills``) on SQLite and PostgreSQL,
and migration 0006 mapping pre-state-machine intent statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import text

from tradepipe.adapters.storage.database import alembic_config, make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.core.execution import ExecutionPolicy, Pacer, cancel_all_open_orders, execute_intents
from tradepipe.core.execution.ids import client_order_id
from tradepipe.domain.orders import EventKind, IntentPurpose, OrderIntent, OrderStatus, OrderType, Side, TimeInForce

D = Decimal
MARKET = SimMarket(seed=21, history_bars=200, future_bars=10)


@pytest.fixture
def ledger(ledger_url: str) -> Ledger:
    engine = make_engine(ledger_url)
    migrate(engine)
    ledger = Ledger(engine)
    ledger.start_run("run-1", as_of_ms=1_000, mode="paper", seed=21)
    return ledger


def venue(faults: FaultPlan | None = None) -> SimExchange:
    return SimExchange(
        "sim-j", MARKET, SimClock(MARKET.history_end_ms), symbols=["ETH/USDT"], taker_fee=0.001, maker_fee=0.0008,
        depth_usd=400_000.0, spread_bps=2.0, faults=faults, starting_balances={"USDT": 100_000.0},
    )  # fmt: skip


def order(seq: int, amount: str = "1", **kw: object) -> OrderIntent:
    return OrderIntent(
        client_order_id=client_order_id("run-1", "sim-j", "ETH/USDT", "buy", seq), run_id="run-1", venue="sim-j",
        symbol="ETH/USDT", side=Side.BUY, amount=D(amount), order_type=kw.pop("order_type", OrderType.MARKET),  # type: ignore[arg-type]
        purpose=IntentPurpose.ENTRY, reference_price=D(1), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_events_orders_and_fills_round_trip_on_both_backends(ledger: Ledger) -> None:
    sim = venue(FaultPlan(seed=1, timeout={"create_order": 1.0}, applied_on_timeout=1.0))
    market, resting = order(0), order(1, "0.5", order_type=OrderType.LIMIT, limit_price=D("100"))
    pacer = Pacer(ExecutionPolicy(), sleep=lambda _: None)
    execute_intents([market], {"sim-j": sim}, ledger, policy=ExecutionPolicy(routing="off"), pacer=pacer)
    sim.faults = FaultPlan()
    execute_intents([resting], {"sim-j": sim}, ledger, policy=ExecutionPolicy(routing="off"), pacer=pacer)
    filled = ledger.tracked(market.client_order_id)
    assert filled is not None and filled.status is OrderStatus.FILLED and filled.filled == D(1)
    kinds = [e.kind for e in ledger.order_events(market.client_order_id)]
    assert kinds[:4] == [EventKind.INITIALIZED, EventKind.SUBMITTED, EventKind.TIMED_OUT, EventKind.ACCEPTED]
    fills = [e for e in ledger.order_events(market.client_order_id) if e.trade_id]
    assert sum(e.amount for e in fills) == D(1)  # type: ignore[misc]
    working = ledger.tracked(resting.client_order_id)
    assert working is not None and working.status is OrderStatus.ACCEPTED and working.order_id
    assert working.intent.limit_price == D("100") and working.intent.time_in_force is TimeInForce.GTC
    assert [o.client_order_id for o in ledger.open_orders()] == [resting.client_order_id]
    cancel_all_open_orders({"sim-j": sim}, ledger, pacer=pacer)
    assert ledger.open_orders() == [] and ledger.tracked(resting.client_order_id).status is OrderStatus.CANCELED  # type: ignore[union-attr]
    with ledger.engine.connect() as conn:
        seqs = conn.execute(text("select client_order_id, seq from order_events order by id")).all()
    for cid in {c for c, _ in seqs}:
        mine = [s for c, s in seqs if c == cid]
        assert mine == list(range(1, len(mine) + 1))  # gap-free per order


def test_migration_0006_maps_old_statuses(ledger_url: str) -> None:
    engine = make_engine(ledger_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into runs (run_id, cycle, as_of_ms, mode, seed, status, started_at) "
                "values ('r', 1, 1, 'paper', 7, 'completed', :now)"
            ),
            {"now": now},
        )
        for cid, status in [("a", "pending"), ("b", "sent"), ("c", "resolved"), ("d", "abandoned"), ("e", "rejected")]:
            conn.execute(
                text(
                    "insert into order_intents (client_order_id, run_id, venue, symbol, side, order_type, purpose, "
                    "amount, reference_price, reason, status, created_at) values "
                    "(:cid, 'r', 'v', 'A/USDT', 'buy', 'market', 'entry', 1, 1, '', :status, :now)"
                ),
                {"cid": cid, "status": status, "now": now},
            )
        conn.execute(
            text(
                "insert into orders (venue, order_id, client_order_id, symbol, side, order_type, amount, filled, "
                "status, reason, updated_at) values ('v', 'o1', 'c', 'A/USDT', 'buy', 'market', 1, 0.5, 'canceled', "
                "'', :now)"
            ),
            {"now": now},
        )
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    with engine.connect() as conn:
        statuses = dict(conn.execute(text("select client_order_id, status from order_intents")).all())
    assert statuses == {"a": "initialized", "b": "unknown", "c": "canceled", "d": "canceled", "e": "rejected"}
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("select client_order_id, status from order_intents")).all())
    assert rows == {"a": "pending", "b": "sent", "c": "resolved", "d": "abandoned", "e": "rejected"}
