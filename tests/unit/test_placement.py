"""Stage 6: idempotent placement against a real SimExchange / PaperBroker, with an in-memory journal.

The journal below is our own ``Journal`` protocol implemented in memory with the ledger's semantics
(intent rows ``pending → sent/rejected/resolved/abandoned``, fills unique by ``(venue, trade_id)``);
the venues are the real simulator with seeded fault injection, never a mock.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tradepipe.adapters.venues.paper_broker import PaperBroker
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.core.execution import execute_intents, recover_unresolved
from tradepipe.core.execution.ids import client_order_id
from tradepipe.domain.orders import (
    TERMINAL_STATUSES,
    Fill,
    IntentPurpose,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Side,
)

D = Decimal
VENUE = "sim-exec"
SYMBOLS = ["BTC/USDT", "ETH/USDT"]


class MemoryJournal:
    """The ledger's intent/order/fill bookkeeping, in memory."""

    def __init__(self) -> None:
        self.intents: dict[str, OrderIntent] = {}
        self.status: dict[str, str] = {}
        self.orders: dict[tuple[str, str], Order] = {}
        self.fills: dict[tuple[str, str], Fill] = {}

    def add_intent(self, intent: OrderIntent) -> bool:
        if intent.client_order_id in self.intents:
            return False
        self.intents[intent.client_order_id] = intent
        self.status[intent.client_order_id] = "pending"
        return True

    def set_intent_status(self, client_order_id: str, status: str) -> None:
        self.status[client_order_id] = status

    def record_order(self, order: Order) -> list[Fill]:
        assert order.client_order_id in self.intents, "an order is only ever recorded for a committed intent"
        self.orders[(order.venue, order.order_id)] = order
        new = [f for f in order.fills if (f.venue, f.trade_id) not in self.fills]
        for f in new:
            self.fills[(f.venue, f.trade_id)] = f
        if order.status in TERMINAL_STATUSES:
            self.status[order.client_order_id] = "resolved"
        return new

    def unresolved_intents(self) -> list[OrderIntent]:
        return [i for cid, i in self.intents.items() if self.status[cid] in ("pending", "sent")]

    def fills_of(self, cid: str) -> list[Fill]:
        return [f for f in self.fills.values() if f.client_order_id == cid]


@pytest.fixture(scope="module")
def market() -> SimMarket:
    return SimMarket(seed=13, history_bars=300, future_bars=20)


def sim(
    market: SimMarket, faults: FaultPlan | None = None, *, cash: float = 100_000.0, depth: float = 400_000.0
) -> SimExchange:
    return SimExchange(
        VENUE,
        market,
        SimClock(market.history_end_ms),
        symbols=SYMBOLS,
        taker_fee=0.001,
        maker_fee=0.0008,
        depth_usd=depth,
        spread_bps=2.0,
        faults=faults,
        starting_balances={"USDT": cash},
    )


def buy(amount: str, symbol: str = "ETH/USDT", run_id: str = "run-1", *, venue: str = VENUE) -> OrderIntent:
    return OrderIntent(
        client_order_id=client_order_id(run_id, venue, symbol, "buy", 0),
        run_id=run_id,
        venue=venue,
        symbol=symbol,
        side=Side.BUY,
        amount=D(amount),
        order_type=OrderType.MARKET,
        purpose=IntentPurpose.ENTRY,
        reference_price=D("3000"),
    )


def venue_orders(venue: SimExchange | PaperBroker) -> list[str]:
    return list(venue.account.state.orders)


def test_market_buy_is_placed_once_and_its_fills_recorded(market: SimMarket) -> None:
    venue, journal = sim(market), MemoryJournal()
    intent = buy("2")
    report = execute_intents([intent], {VENUE: venue}, journal)
    cid = intent.client_order_id
    assert (report.placed, report.filled, report.rejected, report.unknown) == ([cid], [cid], [], [])
    assert len(venue_orders(venue)) == 1
    assert journal.status[cid] == "resolved"
    (order,) = journal.orders.values()
    assert (order.status, order.amount, order.filled, order.client_order_id) == (
        OrderStatus.FILLED,
        D("2"),
        D("2"),
        cid,
    )
    trades = venue.fetch_my_trades("ETH/USDT")
    fills = journal.fills_of(cid)
    assert report.new_fills == len(fills) == len(trades) >= 1
    assert sum(f.amount for f in fills) == order.filled
    assert {f.trade_id for f in fills} == {t["id"] for t in trades}
    for f in fills:
        t = next(t for t in trades if t["id"] == f.trade_id)
        assert (f.amount, f.price, f.fee) == (D(repr(t["amount"])), D(repr(t["price"])), D(repr(t["fee"]["cost"])))
        assert (f.side, f.fee_currency, f.order_id) == (Side.BUY, "USDT", order.order_id)
    # the wallet moved by what the fills say (fees pass through ccxt's floats: equal to far below a cent)
    paid = D("100000") - venue.account.state.balances["USDT"]
    assert abs(paid - sum(f.amount * f.price + f.fee for f in fills)) < D("1e-9")
    assert venue.account.state.balances["ETH"] == sum(f.amount for f in fills)


def test_the_same_intent_twice_reaches_the_venue_once(market: SimMarket) -> None:
    venue, journal = sim(market), MemoryJournal()
    intent = buy("1")
    first = execute_intents([intent, intent], {VENUE: venue}, journal)
    assert first.placed == [intent.client_order_id]
    assert first.skipped_duplicates == [intent.client_order_id]
    again = execute_intents([intent], {VENUE: venue}, journal)
    assert (again.placed, again.skipped_duplicates, again.new_fills) == ([], [intent.client_order_id], 0)
    assert len(venue_orders(venue)) == 1
    assert len(venue.fetch_my_trades()) == len(journal.fills)


def test_timeout_with_the_order_applied_is_recovered_by_client_id(market: SimMarket) -> None:
    venue = sim(market, FaultPlan(seed=1, timeout={"create_order": 1.0}, applied_on_timeout=1.0))
    journal = MemoryJournal()
    intent = buy("1.5")
    cid = intent.client_order_id
    report = execute_intents([intent], {VENUE: venue}, journal)
    assert (report.unknown, report.placed, report.new_fills) == ([cid], [], 0)
    assert journal.status[cid] == "sent"
    assert journal.fills == {}
    assert len(venue_orders(venue)) == 1  # the venue did take it

    recovered = recover_unresolved({VENUE: venue}, journal)
    assert (recovered.recovered, recovered.abandoned) == ([cid], [])
    assert len(venue_orders(venue)) == 1  # looked up, not resent
    assert journal.status[cid] == "resolved"
    (order,) = journal.orders.values()
    assert order.filled == D("1.5")
    assert recovered.new_fills == len(journal.fills_of(cid)) >= 1
    assert sum(f.amount for f in journal.fills_of(cid)) == D("1.5")

    nothing_left = recover_unresolved({VENUE: venue}, journal)
    assert (nothing_left.recovered, nothing_left.abandoned, nothing_left.new_fills) == ([], [], 0)


def test_timeout_without_the_order_is_abandoned_and_never_resent(market: SimMarket) -> None:
    venue = sim(market, FaultPlan(seed=1, timeout={"create_order": 1.0}, applied_on_timeout=0.0))
    journal = MemoryJournal()
    intent = buy("1")
    cid = intent.client_order_id
    assert execute_intents([intent], {VENUE: venue}, journal).unknown == [cid]
    assert venue_orders(venue) == []

    recovered = recover_unresolved({VENUE: venue}, journal)
    assert (recovered.abandoned, recovered.recovered) == ([cid], [])
    assert journal.status[cid] == "abandoned"
    assert journal.unresolved_intents() == []
    # neither a later recovery nor the same intent in a later cycle sends it again
    assert recover_unresolved({VENUE: venue}, journal).abandoned == []
    assert execute_intents([intent], {VENUE: venue}, journal).skipped_duplicates == [cid]
    assert venue_orders(venue) == []


def test_rate_limited_create_is_treated_as_unknown_then_abandoned(market: SimMarket) -> None:
    venue = sim(market, FaultPlan(seed=2, rate_limit={"create_order": 1.0}))
    journal = MemoryJournal()
    intent = buy("1")
    assert execute_intents([intent], {VENUE: venue}, journal).unknown == [intent.client_order_id]
    assert recover_unresolved({VENUE: venue}, journal).abandoned == [intent.client_order_id]
    assert venue_orders(venue) == []


def test_failed_lookup_leaves_the_intent_for_the_next_run(market: SimMarket) -> None:
    venue = sim(
        market,
        FaultPlan(seed=3, timeout={"create_order": 1.0, "fetch_order_by_client_id": 1.0}, applied_on_timeout=1.0),
    )
    journal = MemoryJournal()
    intent = buy("1")
    execute_intents([intent], {VENUE: venue}, journal)
    report = recover_unresolved({VENUE: venue}, journal)
    assert (report.recovered, report.abandoned) == ([], [])
    assert journal.status[intent.client_order_id] == "sent"
    assert len(venue_orders(venue)) == 1


def test_insufficient_funds_is_recorded_as_rejected(market: SimMarket) -> None:
    venue, journal = sim(market, cash=100.0), MemoryJournal()
    intent = buy("1")  # ~3000 USDT of ETH with 100 USDT
    report = execute_intents([intent], {VENUE: venue}, journal)
    assert report.placed == []
    ((cid, reason),) = report.rejected
    assert cid == intent.client_order_id
    assert "insufficient USDT" in reason
    assert journal.status[cid] == "rejected"
    assert journal.unresolved_intents() == []
    assert (journal.orders, journal.fills) == ({}, {})
    assert venue_orders(venue) == []
    assert recover_unresolved({VENUE: venue}, journal).recovered == []


def test_thin_book_partial_fill_is_recorded_as_canceled_with_its_fills(market: SimMarket) -> None:
    venue, journal = sim(market, depth=20_000.0, cash=1_000_000.0), MemoryJournal()
    intent = buy("50")  # far more ETH than 20 000 USDT of book depth
    report = execute_intents([intent], {VENUE: venue}, journal)
    (order,) = journal.orders.values()
    assert order.status is OrderStatus.CANCELED
    assert D(0) < order.filled < D("50")
    assert report.filled == [intent.client_order_id]
    assert sum(f.amount for f in journal.fills_of(intent.client_order_id)) == order.filled
    assert journal.status[intent.client_order_id] == "resolved"


def test_paper_broker_order_sent_before_a_crash_is_recovered_in_a_new_process(
    market: SimMarket, tmp_path: Path
) -> None:
    wallet = tmp_path / "paper" / "wallet.json"
    clock = SimClock(market.history_end_ms)
    first = PaperBroker(sim(market), wallet, clock, starting_cash={"USDT": 50_000.0})
    journal = MemoryJournal()
    intent = buy("0.5", venue=VENUE)
    # what execute_intents does before the venue answers: commit the intent, send it; then the process dies
    assert journal.add_intent(intent)
    first.create_order("ETH/USDT", "market", "buy", 0.5, None, {"clientOrderId": intent.client_order_id})
    del first

    reopened = PaperBroker(sim(market), wallet, clock, starting_cash={"USDT": 50_000.0})
    report = recover_unresolved({VENUE: reopened}, journal)
    assert report.recovered == [intent.client_order_id]
    assert len(venue_orders(reopened)) == 1
    assert sum(f.amount for f in journal.fills_of(intent.client_order_id)) == D("0.5")
    assert all(f.trade_id.startswith(f"paper-{VENUE}-t") for f in journal.fills.values())
    # the intent is done: running it again is a duplicate, the wallet file still holds one order
    assert execute_intents([intent], {VENUE: reopened}, journal).skipped_duplicates == [intent.client_order_id]
    assert len(PaperBroker(sim(market), wallet, clock, starting_cash={"USDT": 1.0}).account.state.orders) == 1


def test_paper_broker_buy_then_sell_round_trip(market: SimMarket, tmp_path: Path) -> None:
    broker = PaperBroker(
        sim(market), tmp_path / "w.json", SimClock(market.history_end_ms), starting_cash={"USDT": 50_000.0}
    )
    journal = MemoryJournal()
    entry = buy("0.25", "BTC/USDT")
    execute_intents([entry], {VENUE: broker}, journal)
    held = sum(f.amount for f in journal.fills_of(entry.client_order_id))
    assert held == D("0.25")
    exit_ = OrderIntent(
        client_order_id=client_order_id("run-1", VENUE, "BTC/USDT", "sell", 0),
        run_id="run-1",
        venue=VENUE,
        symbol="BTC/USDT",
        side=Side.SELL,
        amount=held,
        order_type=OrderType.MARKET,
        purpose=IntentPurpose.TAKE_PROFIT,
        reference_price=D("60000"),
    )
    report = execute_intents([exit_], {VENUE: broker}, journal)
    assert report.placed == report.filled == [exit_.client_order_id]
    sells = journal.fills_of(exit_.client_order_id)
    assert all(f.side is Side.SELL for f in sells)
    assert sum(f.amount for f in sells) == held
    assert broker.account.state.balances["BTC"] == 0
