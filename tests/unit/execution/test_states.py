"""The order state machine: every (status, event) pair against the table, and venue reports turned into events."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.core.execution.states import (
    PREVIOUS,
    TRANSITIONS,
    apply,
    event,
    fill_events,
    next_status,
    status_before_cancel,
    venue_events,
)
from tradepipe.domain.orders import (
    TERMINAL_STATUSES,
    EventKind,
    Fill,
    IntentPurpose,
    Order,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    OrderType,
    Side,
    TrackedOrder,
)
from tradepipe.errors import InvalidTransition

S, E = OrderStatus, EventKind
D = Decimal

# The table written out again by hand, as the design says it: a change to TRANSITIONS must change this too.
EXPECTED = {
    S.INITIALIZED: {E.SUBMITTED: S.SUBMITTED, E.CANCELED: S.CANCELED, E.NOT_FOUND: S.CANCELED, E.DENIED: S.DENIED},
    S.SUBMITTED: {
        E.DEFERRED: S.INITIALIZED,
        E.TIMED_OUT: S.UNKNOWN,
        E.ACCEPTED: S.ACCEPTED,
        E.REJECTED: S.REJECTED,
        E.NOT_FOUND: S.REJECTED,
    },
    S.UNKNOWN: {E.ACCEPTED: S.ACCEPTED, E.REJECTED: S.REJECTED, E.NOT_FOUND: S.REJECTED},
    S.ACCEPTED: {
        E.PARTIALLY_FILLED: S.PARTIALLY_FILLED,
        E.FILLED: S.FILLED,
        E.CANCELED: S.CANCELED,
        E.EXPIRED: S.EXPIRED,
        E.CANCEL_REQUESTED: S.CANCEL_PENDING,
    },
    S.PARTIALLY_FILLED: {
        E.PARTIALLY_FILLED: S.PARTIALLY_FILLED,
        E.FILLED: S.FILLED,
        E.CANCELED: S.CANCELED,
        E.EXPIRED: S.EXPIRED,
        E.CANCEL_REQUESTED: S.CANCEL_PENDING,
    },
    S.CANCEL_PENDING: {
        E.CANCELED: S.CANCELED,
        E.EXPIRED: S.EXPIRED,
        E.PARTIALLY_FILLED: S.CANCEL_PENDING,
        E.FILLED: S.FILLED,
        E.CANCEL_REJECTED: PREVIOUS,  # the status before CANCEL_PENDING
    },
}
# The statuses a cancel request leaves, so the ones a rejected cancel can return to.
BEFORE_CANCEL = (S.ACCEPTED, S.PARTIALLY_FILLED)


def tracked(
    status: OrderStatus = S.INITIALIZED, amount: str = "2", previous: OrderStatus | None = None
) -> TrackedOrder:
    intent = OrderIntent(
        "c1", "run-1", "v", "ABC/USDT", Side.BUY, D(amount), OrderType.MARKET, IntentPurpose.ENTRY, D(1)
    )
    return TrackedOrder(intent=intent, status=status, previous_status=previous)


@pytest.mark.parametrize(("status", "kind"), list(itertools.product(OrderStatus, EventKind)))
def test_every_status_event_pair_follows_the_table(status: OrderStatus, kind: EventKind) -> None:
    expected = EXPECTED.get(status, {}).get(kind)
    if expected is None:
        with pytest.raises(InvalidTransition, match=kind.value):
            next_status(status, kind)
        with pytest.raises(InvalidTransition):
            apply(tracked(status), OrderEvent("c1", kind, status))
    elif expected is PREVIOUS:
        with pytest.raises(InvalidTransition, match="before it is unknown"):
            next_status(status, kind)
        for before in BEFORE_CANCEL:
            assert next_status(status, kind, before) is before
            after = apply(tracked(status, previous=before), OrderEvent("c1", kind, before, "why"))
            assert (after.status, after.previous_status) == (before, None)
    else:
        assert next_status(status, kind) is expected
        assert apply(tracked(status), OrderEvent("c1", kind, expected, "why")).status is expected


def test_the_table_is_exactly_the_expected_one() -> None:
    assert {(s, k): n for s, row in EXPECTED.items() for k, n in row.items()} == dict(TRANSITIONS)


def test_terminal_statuses_have_no_way_out_and_every_other_status_reaches_one() -> None:
    assert not any(s in TERMINAL_STATUSES for s, _ in TRANSITIONS)
    entered_from = {f for (f, _), n in TRANSITIONS.items() if n is S.CANCEL_PENDING and f is not S.CANCEL_PENDING}
    assert entered_from == set(BEFORE_CANCEL)
    assert [k for k, n in TRANSITIONS.items() if n is PREVIOUS] == [(S.CANCEL_PENDING, E.CANCEL_REJECTED)]
    reach = {
        s: {m for (f, _), n in TRANSITIONS.items() if f is s for m in (BEFORE_CANCEL if n is PREVIOUS else (n,))}
        for s in OrderStatus
    }
    for start in set(OrderStatus) - TERMINAL_STATUSES:
        seen, todo = set(), [start]
        while todo:
            for n in reach[todo.pop()] - seen:
                seen.add(n)
                todo.append(n)
        assert seen & TERMINAL_STATUSES, f"{start} can never end"


def test_nothing_goes_back_to_submitted_without_a_rate_limit_and_unknown_only_from_a_timeout() -> None:
    assert [k for (s, k), n in TRANSITIONS.items() if n is S.INITIALIZED] == [E.DEFERRED]
    assert [(s, k) for (s, k), n in TRANSITIONS.items() if n is S.UNKNOWN] == [(S.SUBMITTED, E.TIMED_OUT)]


def test_only_an_order_never_sent_can_be_denied_and_denied_is_final() -> None:
    assert [(s, k) for (s, k), n in TRANSITIONS.items() if n is S.DENIED] == [(S.INITIALIZED, E.DENIED)]
    assert S.DENIED in TERMINAL_STATUSES
    order = apply(tracked(), event(tracked(), E.DENIED, "slippage guard: 80 bps > 20 bps"))
    assert order.is_terminal and order.reason == "slippage guard: 80 bps > 20 bps"


def test_apply_refuses_an_event_whose_status_disagrees_with_the_table() -> None:
    with pytest.raises(InvalidTransition, match="leads to 'submitted'"):
        apply(tracked(), OrderEvent("c1", E.SUBMITTED, S.ACCEPTED))


def test_apply_refuses_another_orders_event_even_when_the_edge_is_legal() -> None:
    legal = event(tracked(), E.SUBMITTED)
    with pytest.raises(InvalidTransition, match="'c2' applied to order 'c1'"):
        apply(tracked(), OrderEvent("c2", legal.kind, legal.status, "attempt 1"))
    assert apply(tracked(), legal).status is S.SUBMITTED


def fill(tid: str, amount: str, ts: int = 1) -> Fill:
    return Fill("v", tid, "o1", "c1", "ABC/USDT", Side.BUY, D(amount), D("10"), D("0.01"), "USDT", ts)


def venue(status: OrderStatus, fills: tuple[Fill, ...] = (), amount: str = "2", reason: str = "") -> Order:
    filled = sum((f.amount for f in fills), D(0))
    return Order(
        "v", "o1", "c1", "ABC/USDT", Side.BUY, OrderType.MARKET, D(amount), filled, None, status, 1, fills, reason
    )


def test_venue_report_from_submitted_fills_in_events_per_trade() -> None:
    order, events = venue_events(tracked(S.SUBMITTED), venue(S.FILLED, (fill("t2", "1.5", 2), fill("t1", "0.5", 1))))
    assert [e.kind for e in events] == [E.ACCEPTED, E.PARTIALLY_FILLED, E.FILLED]
    assert [e.trade_id for e in events[1:]] == ["t1", "t2"]  # in trade time order
    assert (order.status, order.filled, order.trade_ids) == (S.FILLED, D("2"), frozenset({"t1", "t2"}))


def test_known_trades_are_not_events_again_and_a_closed_order_without_all_trades_stays_partial() -> None:
    first, _ = venue_events(tracked(S.SUBMITTED), venue(S.PARTIALLY_FILLED, (fill("t1", "0.5"),)))
    again, events = venue_events(first, venue(S.FILLED, (fill("t1", "0.5"),)))
    assert events == [] and again.status is S.PARTIALLY_FILLED  # "closed" but the trade is not shown: no invention


def test_unknown_then_rejected_and_market_remainder_canceled() -> None:
    _, rejected = venue_events(tracked(S.UNKNOWN), venue(S.REJECTED, reason="min notional"))
    assert [(e.kind, e.detail) for e in rejected] == [(E.REJECTED, "min notional")]
    order, events = venue_events(tracked(S.UNKNOWN), venue(S.CANCELED, (fill("t1", "0.5"),)))
    assert [e.kind for e in events] == [E.ACCEPTED, E.PARTIALLY_FILLED, E.CANCELED]
    assert order.status is S.CANCELED and order.filled == D("0.5")


def test_cancel_race_lost_to_a_fill_ends_filled_and_a_cancel_not_applied_reopens() -> None:
    pending = tracked(S.CANCEL_PENDING, previous=S.ACCEPTED)
    order, events = venue_events(pending, venue(S.FILLED, (fill("t1", "2"),)))
    assert [e.kind for e in events] == [E.FILLED] and order.status is S.FILLED
    order, events = venue_events(pending, venue(S.ACCEPTED))
    assert [e.kind for e in events] == [E.CANCEL_REJECTED] and order.status is S.ACCEPTED


def test_a_rejected_cancel_of_a_partly_filled_order_returns_it_to_partially_filled() -> None:
    order, _ = venue_events(tracked(S.ACCEPTED), venue(S.PARTIALLY_FILLED, (fill("t1", "0.5"),)))
    order = apply(order, event(order, E.CANCEL_REQUESTED, "exit"))
    assert (order.status, order.previous_status) == (S.CANCEL_PENDING, S.PARTIALLY_FILLED)
    order, events = venue_events(order, venue(S.PARTIALLY_FILLED, (fill("t1", "0.5"),)))
    assert [(e.kind, e.status) for e in events] == [(E.CANCEL_REJECTED, S.PARTIALLY_FILLED)]
    assert (order.status, order.previous_status, order.filled) == (S.PARTIALLY_FILLED, None, D("0.5"))


def test_a_fill_racing_the_cancel_moves_the_status_it_returns_to() -> None:
    order = apply(tracked(S.ACCEPTED), event(tracked(S.ACCEPTED), E.CANCEL_REQUESTED))
    assert order.previous_status is S.ACCEPTED
    order, events = venue_events(order, venue(S.PARTIALLY_FILLED, (fill("t1", "0.5"),)))
    assert [(e.kind, e.status) for e in events] == [
        (E.PARTIALLY_FILLED, S.CANCEL_PENDING),
        (E.CANCEL_REJECTED, S.PARTIALLY_FILLED),
    ]
    assert order.status is S.PARTIALLY_FILLED


def test_an_order_whose_fills_are_all_known_but_whose_status_lags_is_moved_to_filled() -> None:
    """Fills booked without events (reconcile's import before it recorded any) left the order ACCEPTED."""
    lagging = tracked(S.SUBMITTED)
    lagging = TrackedOrder(intent=lagging.intent, status=S.SUBMITTED, filled=D("2"), trade_ids=frozenset({"t1"}))
    order, events = venue_events(lagging, venue(S.FILLED, (fill("t1", "2"),)))
    assert [e.kind for e in events] == [E.ACCEPTED, E.FILLED] and order.status is S.FILLED
    assert "already in the ledger" in events[-1].detail and order.filled == D("2")
    accepted = TrackedOrder(intent=lagging.intent, status=S.ACCEPTED, filled=D("2"), trade_ids=frozenset({"t1"}))
    assert venue_events(accepted, venue(S.FILLED, (fill("t1", "2"),)))[0].status is S.FILLED


@pytest.mark.parametrize("start", [S.INITIALIZED, S.SUBMITTED, S.UNKNOWN, S.ACCEPTED])
def test_an_imported_fill_moves_the_order_through_the_table(start: OrderStatus) -> None:
    order, events = fill_events(tracked(start), fill("t1", "0.5"), "imported")
    assert order.status is S.PARTIALLY_FILLED and order.filled == D("0.5") and events[-1].trade_id == "t1"
    order, more = fill_events(order, fill("t2", "1.5"), "imported")
    assert [e.kind for e in more] == [E.FILLED] and (order.status, order.filled) == (S.FILLED, D("2"))
    replay = tracked(start)
    for e in events + more:
        replay = apply(replay, e)
    assert replay == order


def test_an_imported_fill_after_the_order_ended_does_not_fit_the_table() -> None:
    with pytest.raises(InvalidTransition):
        fill_events(tracked(S.CANCELED), fill("t1", "0.5"), "imported")
    pending, events = fill_events(tracked(S.CANCEL_PENDING), fill("t1", "0.5"), "imported")
    assert [e.kind for e in events] == [E.PARTIALLY_FILLED] and pending.status is S.CANCEL_PENDING


def test_event_helper_computes_the_status_and_rejects_illegal_kinds() -> None:
    assert event(tracked(S.ACCEPTED), E.CANCEL_REQUESTED).status is S.CANCEL_PENDING
    with pytest.raises(InvalidTransition):
        event(tracked(S.FILLED), E.CANCEL_REQUESTED)


@st.composite
def venue_histories(draw: st.DrawFn) -> tuple[Decimal, list[Order]]:
    """A venue's successive reports of one order: trades only accumulate, the end (if any) comes last."""
    amount = D(draw(st.integers(1, 50)))
    sizes = draw(st.lists(st.integers(1, 10), max_size=8))
    trades, filled = [], D(0)
    for i, size in enumerate(sizes):
        take = min(D(size), amount - filled)
        if take <= 0:
            break
        filled += take
        trades.append(fill(f"t{i}", str(take), i))
    cuts = sorted(draw(st.lists(st.integers(0, len(trades)), min_size=1, max_size=5)))
    end = draw(st.sampled_from([S.CANCELED, S.EXPIRED, S.ACCEPTED]))
    reports = []
    for n, cut in enumerate(cuts):
        shown = tuple(trades[:cut])
        got = sum((f.amount for f in shown), D(0))
        last = n == len(cuts) - 1
        status = S.FILLED if got >= amount else (end if last else S.PARTIALLY_FILLED if got else S.ACCEPTED)
        reports.append(venue(status, shown, str(amount)))
    return amount, reports


@given(venue_histories(), st.sampled_from([S.SUBMITTED, S.UNKNOWN, S.INITIALIZED]))
@settings(max_examples=200, deadline=None)
def test_any_venue_history_folds_legally_and_fills_sum_to_filled(
    history: tuple[Decimal, list[Order]], start: OrderStatus
) -> None:
    amount, reports = history
    order = tracked(start, str(amount))
    events: list[OrderEvent] = []
    for report in reports:
        order, new = venue_events(order, report)
        events += new
    trade_events = [e for e in events if e.trade_id]
    assert len({e.trade_id for e in trade_events}) == len(trade_events)  # each fill exactly once
    assert order.filled == sum((e.amount for e in trade_events), D(0)) == reports[-1].filled
    if order.filled >= amount:
        assert order.status is S.FILLED
    replay = tracked(start, str(amount))
    for e in events:
        replay = apply(replay, e)
    assert replay == order


@st.composite
def cancel_races(draw: st.DrawFn) -> list[tuple[str, Decimal]]:
    """Steps on a working order of 10: a trade of some size, a cancel request, or a venue report of it open."""
    return draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("trade"), st.integers(1, 4).map(D)),
                st.tuples(st.sampled_from(["cancel", "still open"]), st.just(D(0))),
            ),
            max_size=12,
        )
    )


@given(cancel_races())
@settings(max_examples=200, deadline=None)
def test_a_rejected_cancel_always_returns_to_the_status_the_fills_say_and_the_events_replay_it(
    steps: list[tuple[str, Decimal]],
) -> None:
    order = tracked(S.ACCEPTED, "10")
    events = [OrderEvent("c1", E.ACCEPTED, S.ACCEPTED)]
    trades: list[Fill] = []
    for what, size in steps:
        if order.is_terminal:
            break
        if what == "cancel" and order.status in BEFORE_CANCEL:
            new = [event(order, E.CANCEL_REQUESTED)]
            order = apply(order, new[0])
        elif what == "trade" or what == "still open":
            if what == "trade":
                trades.append(fill(f"t{len(trades)}", str(min(size, order.intent.amount - order.filled)), len(trades)))
            done = sum((f.amount for f in trades), D(0)) >= order.intent.amount
            shown = S.FILLED if done else S.PARTIALLY_FILLED if trades else S.ACCEPTED
            order, new = venue_events(order, venue(shown, tuple(trades), "10"))
        else:
            continue
        events += new
        assert status_before_cancel(events) == order.previous_status
        if order.status is S.CANCEL_PENDING:
            assert order.previous_status is (S.PARTIALLY_FILLED if order.filled else S.ACCEPTED)
        elif not order.is_terminal:
            assert order.status is (S.PARTIALLY_FILLED if order.filled else S.ACCEPTED)
