"""Slippage guard (book walk, AMM curve) and smart order routing across venues, with the reasons recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.execution.conftest import VenueFactory, intent, venue_orders
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.core import amm
from tradepipe.core.execution import ExecutionPolicy, Pacer, execute_intents
from tradepipe.core.execution.slippage import amm_estimate, book_estimate, guard
from tradepipe.domain.orders import EventKind, IntentPurpose, OrderStatus, OrderType, Side, TimeInForce

D = Decimal
BOOK = {"bids": [[99.0, 1.0], [98.0, 2.0]], "asks": [[101.0, 1.0], [102.0, 1.0], [110.0, 5.0]]}


def test_book_walk_estimates_average_price_and_slippage_against_the_mid() -> None:
    est = book_estimate(BOOK, Side.BUY, D("2"))
    assert est is not None and (est.mid, est.average, est.fillable) == (D(100), D("101.5"), D(2))
    assert est.slippage_bps == pytest.approx(150.0)
    sell = book_estimate(BOOK, Side.SELL, D("3"))
    assert sell is not None and sell.average == D("98.33333333333333333333333333")
    assert sell.slippage_bps == pytest.approx((100 - 295 / 3) / 100 * 1e4)
    too_big = book_estimate(BOOK, Side.SELL, D("4"))
    assert too_big is not None and too_big.fillable == D(3) and too_big.slippage_bps == float("inf")
    assert book_estimate({"bids": [], "asks": []}, Side.BUY, D(1)) is None


def test_amm_estimate_walks_the_curve_with_the_fee() -> None:
    est = amm_estimate(1_000_000.0, 100_000.0, 25.0, Side.BUY, D("10000"))
    assert est is not None and est.mid == D("0.1")
    quote_in = amm.amount_in_for(10_000.0, 100_000.0, 1_000_000.0, 25.0)
    assert float(est.average) == pytest.approx(quote_in / 10_000)  # type: ignore[arg-type]
    assert 100 < est.slippage_bps < 130  # ~1% impact + 25 bps fee
    assert amm_estimate(1_000.0, 100.0, 25.0, Side.BUY, D("1000")).slippage_bps == float("inf")  # type: ignore[union-attr]


def test_guard_passes_converts_to_an_ioc_limit_at_the_band_or_denies() -> None:
    order = intent("2")
    est = book_estimate(BOOK, Side.BUY, D("2"))
    assert guard(order, est, ExecutionPolicy(max_slippage_bps=200)).intent == order
    converted = guard(order, est, ExecutionPolicy(max_slippage_bps=100, slippage_action="limit"))
    assert converted.intent is not None and converted.intent.order_type is OrderType.LIMIT
    assert (converted.intent.limit_price, converted.intent.time_in_force) == (D("101.0"), TimeInForce.IOC)
    assert "150.0 bps > 100 bps" in converted.note
    denied = guard(order, est, ExecutionPolicy(max_slippage_bps=100, slippage_action="deny"))
    assert denied.intent is None and "denied" in denied.note


def test_a_thin_book_order_is_sent_as_a_limit_and_its_realised_slippage_stays_within_the_band(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    venue = make_venue(depth=20_000.0, cash=1_000_000.0)
    order = intent("30")
    policy = ExecutionPolicy(routing="off", max_slippage_bps=20)
    execute_intents([order], {venue.name: venue}, ledger, policy=policy, pacer=pacer)
    tracked = ledger.tracked(order.client_order_id)
    assert (
        tracked is not None and tracked.intent.order_type is OrderType.LIMIT and tracked.status is OrderStatus.CANCELED
    )
    assert D(0) < tracked.filled < D(30)
    with ledger.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "select i.expected_slippage_bps, i.route, o.slippage_bps from order_intents i "
            "join orders o using (client_order_id)"
        ).one()
    assert "slippage guard" in row.route and row.expected_slippage_bps is None  # it could not fill at all
    assert 0 < row.slippage_bps <= 20 + 1e-6  # realised, from the fills, within the band


def test_a_denied_order_is_recorded_and_never_sent(ledger: Ledger, make_venue: VenueFactory, pacer: Pacer) -> None:
    venue = make_venue(depth=20_000.0, cash=1_000_000.0)
    order = intent("30")
    policy = ExecutionPolicy(routing="off", max_slippage_bps=20, slippage_action="deny")
    report = execute_intents([order], {venue.name: venue}, ledger, policy=policy, pacer=pacer)
    assert [cid for cid, _ in report.denied] == [order.client_order_id] and venue_orders(venue) == []
    tracked = ledger.tracked(order.client_order_id)
    assert tracked is not None and tracked.status is OrderStatus.DENIED and "denied" in tracked.reason
    assert [e.kind for e in ledger.order_events(order.client_order_id)] == [EventKind.INITIALIZED, EventKind.DENIED]


def test_routing_picks_the_venue_with_the_best_price_after_fees(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    dear = make_venue("sim-dear", taker_fee=0.004)
    cheap = make_venue("sim-cheap", taker_fee=0.0005)
    order = intent("1", venue="sim-dear")
    report = execute_intents([order], {"sim-dear": dear, "sim-cheap": cheap}, ledger, pacer=pacer)
    assert report.placed == [order.client_order_id]  # the same client id, on the better venue
    assert venue_orders(dear) == [] and len(venue_orders(cheap, order.client_order_id)) == 1
    ((cid, why),) = report.routed
    assert cid == order.client_order_id and why.startswith("routed: 1 on sim-cheap") and "planned sim-dear" in why
    assert ledger.tracked(cid).intent.venue == "sim-cheap"  # type: ignore[union-attr]
    with ledger.engine.connect() as conn:
        assert "sim-cheap" in conn.exec_driver_sql("select route from order_intents").scalar()


def test_routing_splits_when_the_best_venue_lacks_the_balance_and_skips_held_pairs(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    poor = make_venue("sim-poor", taker_fee=0.0005, cash=1_500.0)
    rich = make_venue("sim-rich", taker_fee=0.002, cash=100_000.0)
    gateways = {"sim-poor": poor, "sim-rich": rich}
    order = intent("1", venue="sim-rich")  # ~2400 USDT of ETH: sim-poor pays for ~60% of it
    report = execute_intents([order], gateways, ledger, pacer=pacer)
    assert len(report.placed) == 2 and report.placed[0] == order.client_order_id
    parts = [ledger.tracked(cid) for cid in report.placed]
    assert [p.intent.venue for p in parts] == ["sim-poor", "sim-rich"]  # type: ignore[union-attr]
    assert sum(p.filled for p in parts) == D(1)  # type: ignore[union-attr]
    assert all(why.startswith("split:") for _, why in report.routed)
    again = execute_intents([order], gateways, ledger, pacer=pacer)  # a rerun derives the same ids: nothing sent
    assert again.skipped_duplicates == [order.client_order_id] and len(venue_orders(poor) + venue_orders(rich)) == 2
    held = intent("0.1", venue="sim-rich", seq=5)
    kept = execute_intents([held], gateways, ledger, pacer=pacer, avoid=frozenset({("sim-poor", "ETH/USDT")}))
    assert ledger.tracked(kept.placed[0]).intent.venue == "sim-rich"  # type: ignore[union-attr]


def test_exits_are_never_routed_away_from_their_position(
    ledger: Ledger, make_venue: VenueFactory, pacer: Pacer
) -> None:
    dear = make_venue("sim-dear", taker_fee=0.004)
    cheap = make_venue("sim-cheap", taker_fee=0.0005)
    gateways = {"sim-dear": dear, "sim-cheap": cheap}
    execute_intents(
        [intent("1", venue="sim-dear")], gateways, ledger, policy=ExecutionPolicy(routing="off"), pacer=pacer
    )
    sell = intent("1", side=Side.SELL, venue="sim-dear", purpose=IntentPurpose.EXIT)
    report = execute_intents([sell], gateways, ledger, pacer=pacer)
    assert report.routed == [] and len(venue_orders(dear)) == 2 and venue_orders(cheap) == []
