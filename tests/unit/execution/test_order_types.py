"""Order types (limit with time in force and expiry, stops on the venue or emulated) and cancels, incl. races."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.execution.conftest import HOUR, VENUE, SteppingClock, VenueFactory, intent, venue_orders
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.core.execution import (
    ExecutionPolicy,
    Pacer,
    cancel_all_open_orders,
    execute_intents,
    recover_unresolved,
    trigger_emulated_stops,
)
from tradepipe.domain.orders import EventKind, OrderIntent, OrderStatus, OrderType, Side, TimeInForce

D = Decimal
E, S = EventKind, OrderStatus
POLICY = ExecutionPolicy(routing="off")


def mid(venue: SimExchange, symbol: str) -> Decimal:
    book = venue.fetch_order_book(symbol)
    return (D(repr(book["bids"][0][0])) + D(repr(book["asks"][0][0]))) / 2


def limit(
    amount: str, price: Decimal, tif: TimeInForce = TimeInForce.GTC, side: Side = Side.BUY, **kw: object
) -> OrderIntent:
    return intent(amount, side=side, order_type=OrderType.LIMIT, limit_price=price, time_in_force=tif, **kw)


def status(ledger: Ledger, cid: str) -> OrderStatus:
    tracked = ledger.tracked(cid)
    assert tracked is not None
    return tracked.status


def test_resting_limit_is_accepted_then_filled_partly_per_book_then_in_full(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer, clock: SteppingClock
) -> None:
    venue = make_venue(depth=500.0)  # ~1.7k USDT a side for ETH: far less than the order
    order = limit("4", mid(venue, "ETH/USDT") * D("1.05"))  # takes the whole ask side, the rest rests
    execute_intents([order], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    cid = order.client_order_id
    assert status(ledger, cid) is S.PARTIALLY_FILLED
    seen = [S.PARTIALLY_FILLED]
    for _ in range(40):  # later books: whenever the ask crosses the limit, the crossing depth fills
        clock.at_ms += HOUR
        recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
        seen.append(status(ledger, cid))
        if seen[-1] is S.FILLED:
            break
    assert seen[-1] is S.FILLED and seen.count(S.PARTIALLY_FILLED) >= 2, seen
    tracked = ledger.tracked(cid)
    assert tracked is not None and tracked.filled == D("4")
    fills = ledger.fills()
    assert len(fills) > len(seen)  # the first book's levels as taker fills, then one maker fill per later book
    assert fills[-1].price == order.limit_price  # a resting limit fills at its price (maker)


def test_ioc_limit_takes_what_is_there_and_fok_fills_all_or_nothing(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(depth=20_000.0, cash=1_000_000.0)
    band = mid(venue, "ETH/USDT") * D("1.0005")
    ioc = limit("30", band, TimeInForce.IOC)
    fok = limit("30", band, TimeInForce.FOK, seq=1)
    execute_intents([ioc, fok], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    ioc_order = ledger.tracked(ioc.client_order_id)
    assert ioc_order is not None and ioc_order.status is S.CANCELED and D(0) < ioc_order.filled < D(30)
    fok_order = ledger.tracked(fok.client_order_id)
    assert fok_order is not None and fok_order.status is S.EXPIRED and fok_order.filled == 0


def test_gtd_limit_expires_at_its_time(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer, clock: SteppingClock
) -> None:
    venue = make_venue()
    order = limit("1", mid(venue, "ETH/USDT") * D("0.5"), TimeInForce.GTD, expires_at_ms=clock.at_ms + 2 * HOUR)
    execute_intents([order], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    assert status(ledger, order.client_order_id) is S.ACCEPTED
    clock.at_ms += HOUR
    recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
    assert status(ledger, order.client_order_id) is S.ACCEPTED
    clock.at_ms += HOUR
    recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
    assert status(ledger, order.client_order_id) is S.EXPIRED
    assert venue.fetch_balance()["used"].get("USDT", 0) == 0  # the reservation went with it


def stop(amount: str, price: Decimal, seq: int = 7) -> OrderIntent:
    return intent(amount, side=Side.SELL, order_type=OrderType.STOP_LOSS, stop_price=price, seq=seq)


def hold_eth(ledger: Ledger, venue: SimExchange, pacer: Pacer, amount: str = "2") -> Decimal:
    """Buy ETH through placement so the ledger holds the position a stop protects; returns the amount held."""
    execute_intents([intent(amount, seq=99)], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    [position] = ledger.open_positions()
    return position.amount


def test_stop_loss_rests_on_a_venue_that_supports_stops_and_triggers_there(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer, clock: SteppingClock
) -> None:
    venue = make_venue()
    held = hold_eth(ledger, venue, pacer)
    price = mid(venue, "ETH/USDT")
    order = stop(str(held), price * D("0.999"))
    report = execute_intents([order], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    assert report.placed == [order.client_order_id] and report.armed == []
    assert status(ledger, order.client_order_id) is S.ACCEPTED  # resting untriggered on the venue
    [raw] = venue.fetch_open_orders()
    assert raw["triggerPrice"] == float(price * D("0.999"))
    for _ in range(60):
        clock.at_ms += HOUR
        recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
        if status(ledger, order.client_order_id) is S.FILLED:
            break
    assert status(ledger, order.client_order_id) is S.FILLED
    assert venue.account.state.balances["ETH"] == 0 and ledger.open_positions() == []
    rejected = execute_intents([stop("1", price * 2, seq=8)], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    assert "would trigger immediately" in rejected.rejected[0][1]


def test_stop_loss_is_emulated_where_the_venue_has_no_stops(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(stops=False)
    held = hold_eth(ledger, venue, pacer)
    price = mid(venue, "ETH/USDT")
    order = stop(str(held), price * D("0.9"))
    report = execute_intents([order], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    cid = order.client_order_id
    assert report.armed == [cid] and report.placed == [] and len(venue_orders(venue)) == 1  # only the entry
    recover_unresolved({VENUE: venue}, ledger, pacer=pacer)  # an armed stop is ours, not the venue's: left alone
    assert status(ledger, cid) is S.INITIALIZED
    marks = {(VENUE, "ETH/USDT"): price}
    assert trigger_emulated_stops({VENUE: venue}, ledger, marks, pacer=pacer).placed == []  # not crossed
    marks = {(VENUE, "ETH/USDT"): price * D("0.85")}
    fired = trigger_emulated_stops({VENUE: venue}, ledger, marks, pacer=pacer)
    assert fired.placed == [cid] and status(ledger, cid) is S.FILLED
    sent = venue.account.state.orders[venue_orders(venue, cid)[0]]
    assert (sent.type, sent.trigger_price) == ("market", None)
    assert ledger.open_positions() == []


def test_cancel_all_cancels_working_orders_and_disarms_emulated_stops(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(stops=False)
    held = hold_eth(ledger, venue, pacer)
    price = mid(venue, "ETH/USDT")
    resting = limit("1", price * D("0.9"))
    armed = stop(str(held), price * D("0.8"))
    execute_intents([resting, armed], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    report = cancel_all_open_orders({VENUE: venue}, ledger, reason="emergency stop", pacer=pacer)
    assert sorted(report.canceled) == sorted([resting.client_order_id, armed.client_order_id])
    assert status(ledger, resting.client_order_id) is S.CANCELED
    assert [e.kind for e in ledger.order_events(resting.client_order_id)][-2:] == [E.CANCEL_REQUESTED, E.CANCELED]
    assert status(ledger, armed.client_order_id) is S.CANCELED
    assert venue.fetch_open_orders() == [] and ledger.open_orders() == []


def test_cancel_race_lost_to_a_fill_ends_filled(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer, clock: SteppingClock
) -> None:
    venue = make_venue()
    order = limit("0.5", mid(venue, "ETH/USDT") * D("0.9995"))
    execute_intents([order], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    for _ in range(40):  # move to a book that crosses the limit, without reading the account
        clock.at_ms += HOUR
        if D(repr(venue.fetch_order_book("ETH/USDT")["asks"][0][0])) <= order.limit_price:  # type: ignore[operator]
            break
    report = cancel_all_open_orders({VENUE: venue}, ledger, pacer=pacer)
    assert report.canceled == []
    assert status(ledger, order.client_order_id) is S.FILLED  # the venue filled it before the cancel arrived
    assert [e.kind for e in ledger.order_events(order.client_order_id)][-2:] == [E.CANCEL_REQUESTED, E.FILLED]


def test_cancel_timeout_stays_pending_until_a_lookup_settles_it(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(faults=FaultPlan(seed=4, timeout={"cancel_order": 1.0}, applied_on_timeout=1.0))
    order = limit("1", mid(venue, "ETH/USDT") * D("0.9"))
    execute_intents([order], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    cancel_all_open_orders({VENUE: venue}, ledger, pacer=pacer)
    assert status(ledger, order.client_order_id) is S.CANCEL_PENDING
    recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
    assert status(ledger, order.client_order_id) is S.CANCELED


def test_cancel_timeout_not_applied_reopens_the_order_and_a_second_cancel_works(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(faults=FaultPlan(seed=4, timeout={"cancel_order": 1.0}, applied_on_timeout=0.0))
    order = limit("1", mid(venue, "ETH/USDT") * D("0.9"))
    execute_intents([order], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    cancel_all_open_orders({VENUE: venue}, ledger, pacer=pacer)
    recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
    assert status(ledger, order.client_order_id) is S.ACCEPTED
    assert E.CANCEL_REJECTED in [e.kind for e in ledger.order_events(order.client_order_id)]
    venue.faults = FaultPlan()
    cancel_all_open_orders({VENUE: venue}, ledger, pacer=pacer)
    assert status(ledger, order.client_order_id) is S.CANCELED


def test_a_cancel_not_applied_to_a_partly_filled_order_returns_it_to_partially_filled_from_the_ledger(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(depth=500.0)
    order = limit("4", mid(venue, "ETH/USDT") * D("1.05"))  # takes the ask side, the rest rests
    execute_intents([order], {VENUE: venue}, ledger, policy=POLICY, pacer=pacer)
    cid = order.client_order_id
    assert status(ledger, cid) is S.PARTIALLY_FILLED
    venue.faults = FaultPlan(seed=4, timeout={"cancel_order": 1.0}, applied_on_timeout=0.0)
    cancel_all_open_orders({VENUE: venue}, ledger, pacer=pacer)
    pending = ledger.tracked(cid)  # read back as a new process would
    assert pending is not None and (pending.status, pending.previous_status) == (S.CANCEL_PENDING, S.PARTIALLY_FILLED)
    recover_unresolved({VENUE: venue}, ledger, pacer=pacer)
    after = ledger.tracked(cid)
    assert after is not None and (after.status, after.previous_status) == (S.PARTIALLY_FILLED, None)
    assert 0 < after.filled < D("4")
    kinds = [e.kind for e in ledger.order_events(cid)]
    since = kinds[kinds.index(E.CANCEL_REQUESTED) + 1 :]  # trades the venue made meanwhile, then the rejection
    assert since[-1] is E.CANCEL_REJECTED and set(since[:-1]) <= {E.PARTIALLY_FILLED}
