"""Idempotent placement through the state machine: every event stored, fills once, never a second send."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from tests.unit.execution.conftest import VENUE, RecordingSleep, VenueFactory, intent, venue_orders
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.venues.sim_account import Realism
from tradepipe.adapters.venues.sim_exchange import FaultPlan
from tradepipe.core.execution import ExecutionPolicy, Pacer, execute_intents, recover_unresolved
from tradepipe.domain.orders import EventKind, OrderStatus, Side

D = Decimal
E, S = EventKind, OrderStatus
NO_ROUTING = ExecutionPolicy(routing="off")


def kinds(ledger: Ledger, cid: str) -> list[EventKind]:
    return [e.kind for e in ledger.order_events(cid)]


def test_market_buy_is_placed_once_with_every_event_and_fill(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue()
    order = intent("2")
    cid = order.client_order_id
    report = execute_intents([order], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    assert (report.placed, report.filled, report.rejected, report.unknown) == ([cid], [cid], [], [])
    assert len(venue_orders(venue, cid)) == 1
    tracked = ledger.tracked(cid)
    assert tracked is not None and tracked.status is S.FILLED and tracked.filled == D("2")
    events = kinds(ledger, cid)
    assert events[:3] == [E.INITIALIZED, E.SUBMITTED, E.ACCEPTED] and events[-1] is E.FILLED
    assert all(k is E.PARTIALLY_FILLED for k in events[3:-1])  # one event per trade
    trades = venue.fetch_my_trades("ETH/USDT")
    fills = [f for f in ledger.fills() if f.client_order_id == cid]
    assert {f.trade_id for f in fills} == {t["id"] for t in trades} and report.new_fills == len(trades)
    assert sum(f.amount for f in fills) == D("2")
    [event_fills] = [[e for e in ledger.order_events(cid) if e.trade_id]]
    assert sorted(e.trade_id for e in event_fills) == sorted(f.trade_id for f in fills)  # type: ignore[type-var]


def test_the_same_intent_again_reaches_the_venue_once(ledger: Ledger, make_venue: VenueFactory, pacer: Pacer) -> None:
    venue = make_venue()
    order = intent("1")
    first = execute_intents([order, order], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    assert first.placed == [order.client_order_id] and first.skipped_duplicates == [order.client_order_id]
    again = execute_intents([order], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    assert (again.placed, again.skipped_duplicates, again.new_fills) == ([], [order.client_order_id], 0)
    assert len(venue_orders(venue)) == 1


def test_create_timeout_applied_is_resolved_by_lookup_not_resent(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(faults=FaultPlan(seed=1, timeout={"create_order": 1.0}, applied_on_timeout=1.0))
    order = intent("1.5")
    cid = order.client_order_id
    report = execute_intents([order], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    assert report.unknown == [] and report.placed == [] and report.filled == [cid]
    assert len(venue_orders(venue, cid)) == 1  # looked up, not sent again
    assert ledger.tracked(cid).status is S.FILLED  # type: ignore[union-attr]
    assert kinds(ledger, cid)[:4] == [E.INITIALIZED, E.SUBMITTED, E.TIMED_OUT, E.ACCEPTED]
    assert recover_unresolved({VENUE: venue}, ledger, pacer=pacer).new_fills == 0


def test_create_timeout_not_applied_stays_unknown_then_closes_without_a_resend(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(faults=FaultPlan(seed=1, timeout={"create_order": 1.0}, applied_on_timeout=0.0))
    order = intent("1")
    cid = order.client_order_id
    report = execute_intents([order], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    assert report.unknown == [cid] and ledger.tracked(cid).status is S.UNKNOWN  # type: ignore[union-attr]
    assert venue_orders(venue) == []
    recovered = recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
    assert recovered.abandoned == [cid]
    tracked = ledger.tracked(cid)
    assert tracked is not None and tracked.status is S.REJECTED and "never placed" in tracked.reason
    assert kinds(ledger, cid)[-1] is E.NOT_FOUND
    assert execute_intents([order], {VENUE: venue}, ledger, pacer=pacer).skipped_duplicates == [cid]
    assert venue_orders(venue) == []


def test_failed_lookup_leaves_the_order_unknown_for_a_later_run(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer, sleeper: RecordingSleep
) -> None:
    plan = FaultPlan(seed=3, timeout={"create_order": 1.0, "fetch_order_by_client_id": 1.0}, applied_on_timeout=1.0)
    venue = make_venue(faults=plan)
    order = intent("1")
    execute_intents([order], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    report = recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
    assert (report.recovered, report.abandoned) == ([], [])
    assert ledger.tracked(order.client_order_id).status is S.UNKNOWN  # type: ignore[union-attr]
    assert len(sleeper.slept) >= 2  # the read-only lookups were retried with backoff
    assert sleeper.slept[1] > sleeper.slept[0]
    assert len(venue_orders(venue)) == 1


def test_a_429_storm_defers_orders_and_sends_each_exactly_once(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer, sleeper: RecordingSleep
) -> None:
    venue = make_venue(faults=FaultPlan(seed=5, rate_limit={"create_order": 0.6}))
    sizes = [("0.05", "BTC/USDT"), ("1", "ETH/USDT"), ("20000", "DOGE/USDT")] * 2
    orders = [intent(amount, symbol, seq=i) for i, (amount, symbol) in enumerate(sizes)]
    policy = ExecutionPolicy(routing="off", rate_limit_rounds=12)
    report = execute_intents(orders, {VENUE: venue}, ledger, policy=policy, pacer=pacer)
    assert report.deferred, "the storm rate-limited some creates"
    assert sorted(report.placed) == sorted(o.client_order_id for o in orders)
    for o in orders:
        assert len(venue_orders(venue, o.client_order_id)) == 1
        tracked = ledger.tracked(o.client_order_id)
        assert tracked is not None and tracked.status is S.FILLED
        if o.client_order_id in report.deferred:
            assert E.DEFERRED in kinds(ledger, o.client_order_id) and tracked.attempts > 1
    assert sleeper.slept and max(sleeper.slept) <= policy.rate_limit_max_backoff_s  # backed off per venue


def test_orders_still_rate_limited_after_the_last_round_are_denied(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(faults=FaultPlan(seed=2, rate_limit={"create_order": 1.0}))
    order = intent("1")
    report = execute_intents([order], {VENUE: venue}, ledger, policy=ExecutionPolicy(rate_limit_rounds=3), pacer=pacer)
    assert report.unknown == [] and [cid for cid, _ in report.denied] == [order.client_order_id]
    tracked = ledger.tracked(order.client_order_id)
    assert tracked is not None and tracked.status is S.DENIED and tracked.attempts == 3
    assert "still rate limited" in tracked.reason and kinds(ledger, order.client_order_id)[-1] is E.DENIED
    assert kinds(ledger, order.client_order_id).count(E.DEFERRED) == 3
    assert ledger.open_orders() == []  # terminal: no later run sends or looks it up
    assert venue_orders(venue) == []
    assert recover_unresolved({VENUE: venue}, ledger, pacer=pacer).recovered == []  # terminal: nothing to do


def test_insufficient_funds_is_rejected_then_resized_from_a_fresh_balance(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(cash=1_000.0)
    order = intent("1")  # ~3000 USDT of ETH with 1000 USDT
    report = execute_intents([order], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    ((cid, reason),) = report.rejected
    assert cid == order.client_order_id and "insufficient USDT" in reason
    assert ledger.tracked(cid).status is S.REJECTED  # type: ignore[union-attr]
    ((old, new),) = report.resized
    assert old == cid and report.placed == [new]
    resized = ledger.tracked(new)
    assert resized is not None and resized.status is S.FILLED
    assert D(0) < resized.filled < D("1") and resized.intent.reason.startswith("re-sized")
    assert len(venue_orders(venue)) == 1  # the rejected one never became an order
    assert D(0) <= venue.account.state.balances["USDT"] < D(1_000)


def test_a_venue_reject_is_recorded_with_the_venues_reason(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(realism=Realism(reject_rate=1.0))
    order = intent("1")
    report = execute_intents([order], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    ((cid, reason),) = report.rejected
    tracked = ledger.tracked(cid)
    assert tracked is not None and tracked.status is S.REJECTED and tracked.reason == reason
    assert "simulated reject" in reason and report.resized == []


def test_thin_book_partial_fill_ends_canceled_with_its_fills(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(depth=20_000.0, cash=1_000_000.0)
    order = intent("50")  # far more ETH than 20 000 USDT of depth
    policy = ExecutionPolicy(routing="off", max_slippage_bps=10_000)
    execute_intents([order], {VENUE: venue}, ledger, policy=policy, pacer=pacer)
    tracked = ledger.tracked(order.client_order_id)
    assert tracked is not None and tracked.status is S.CANCELED and D(0) < tracked.filled < D("50")
    events = kinds(ledger, order.client_order_id)
    assert events[-1] is E.CANCELED and E.PARTIALLY_FILLED in events and E.FILLED not in events
    assert sum(f.amount for f in ledger.fills()) == tracked.filled


def test_sell_side_round_trip(ledger: Ledger, make_venue: VenueFactory, pacer: Pacer) -> None:
    venue = make_venue()
    execute_intents([intent("0.25", "BTC/USDT")], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    exit_ = intent("0.25", "BTC/USDT", Side.SELL)
    report = execute_intents([exit_], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    assert report.filled == [exit_.client_order_id]
    assert venue.account.state.balances["BTC"] == 0
    assert ledger.open_positions() == []


def test_without_lookup_by_client_id_a_timed_out_order_is_found_by_matching_recent_trades(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(faults=FaultPlan(seed=1, timeout={"create_order": 1.0}, applied_on_timeout=1.0))
    venue.capabilities = dataclasses.replace(venue.capabilities, fetch_order_by_client_id=False)
    found, lost = intent("1"), intent("1", "BTC/USDT", seq=1)
    execute_intents([found], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    tracked = ledger.tracked(found.client_order_id)
    assert tracked is not None and tracked.status is S.FILLED and tracked.order_id == venue_orders(venue)[0]
    assert sum(f.amount for f in ledger.fills()) == D(1)
    venue.faults = FaultPlan(seed=1, timeout={"create_order": 1.0}, applied_on_timeout=0.0)
    execute_intents([lost], {VENUE: venue}, ledger, policy=NO_ROUTING, pacer=pacer)
    assert ledger.tracked(lost.client_order_id).status is S.UNKNOWN  # type: ignore[union-attr]
    recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
    assert ledger.tracked(lost.client_order_id).status is S.REJECTED  # type: ignore[union-attr]
    assert len(venue_orders(venue)) == 1


def test_resize_can_be_switched_off(ledger: Ledger, make_venue: VenueFactory, sleeper: RecordingSleep) -> None:
    venue = make_venue(cash=1_000.0)
    policy = ExecutionPolicy(routing="off", resize_on_insufficient_funds=False)
    report = execute_intents([intent("1")], {VENUE: venue}, ledger, policy=policy, pacer=Pacer(policy, sleeper.sleep))
    assert report.rejected and report.resized == [] and venue_orders(venue) == []


def test_recovery_waits_the_grace_before_closing_an_order_the_venue_does_not_show(
    ledger: Ledger, make_venue: VenueFactory, sleeper: RecordingSleep
) -> None:
    venue = make_venue(faults=FaultPlan(seed=1, timeout={"create_order": 1.0}, applied_on_timeout=0.0))
    policy = ExecutionPolicy(routing="off", not_found_grace_s=60)
    pacer = Pacer(policy, sleeper.sleep, sleeper.monotonic)
    order = intent("1")
    execute_intents([order], {VENUE: venue}, ledger, policy=policy, pacer=pacer)
    tracked = ledger.tracked(order.client_order_id)
    assert tracked is not None and tracked.status is S.UNKNOWN and tracked.updated_ms is not None
    soon = recover_unresolved({VENUE: venue}, ledger, pacer=pacer, now_ms=tracked.updated_ms + 30_000)
    assert soon.abandoned == [] and ledger.tracked(order.client_order_id).status is S.UNKNOWN  # type: ignore[union-attr]
    later = recover_unresolved({VENUE: venue}, ledger, pacer=pacer, now_ms=tracked.updated_ms + 61_000)
    assert later.abandoned == [order.client_order_id]
