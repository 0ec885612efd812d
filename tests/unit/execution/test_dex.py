"""The DEX rapid executor on the simulated Solana-style pool venue: curve price impact, priority fee,
confirmation polling, failed and dropped transactions (only dropped ones are resubmitted, under a new id)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.execution.conftest import HOUR, RecordingSleep, SteppingClock, intent
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.venues.sim_dex import SimDex
from tradepipe.adapters.venues.sim_pools import SimPoolFeed
from tradepipe.core import amm
from tradepipe.core.execution import ExecutionPolicy, Pacer, SwapPlan, recover_unresolved, swap
from tradepipe.domain.orders import EventKind, OrderIntent, OrderStatus, Side
from tradepipe.domain.pools import PoolFacts

D = Decimal
S, E = OrderStatus, EventKind
SYMBOL = "BONK/USDC"


def facts(**kw: object) -> PoolFacts:
    base = dict(
        venue="sim-sol", pool_id="p1", symbol=SYMBOL, base_mint="bonk", quote_mint="usdc",
        base_reserve=50_000_000.0, quote_reserve=100_000.0, fee_bps=25.0,
        created_at_ms=0, observed_at_ms=600_000, top10_holder_pct=20.0,
    )  # fmt: skip
    base.update(kw)
    return PoolFacts(**base)  # type: ignore[arg-type]


def dex(clock: SteppingClock, *, drop_rate: float = 0.0, flow_bps: float = 0.0, seed: int = 1, **kw: object) -> SimDex:
    return SimDex.from_facts(
        "sim-sol", [facts(**kw)], clock, balances={"USDC": 10_000.0}, drop_rate=drop_rate, flow_bps=flow_bps, seed=seed
    )


def buy(amount: str, seq: int = 0) -> OrderIntent:
    return intent(amount, SYMBOL, venue="sim-sol", seq=seq)


@pytest.fixture
def plan() -> SwapPlan:
    return SwapPlan(priority_fee=0.002, max_polls=12)


def test_a_swap_lands_after_confirmation_polls_at_the_curve_price(
    ledger: Ledger, clock: SteppingClock, pacer: Pacer, sleeper: RecordingSleep, plan: SwapPlan
) -> None:
    venue = dex(clock)
    expected_in = amm.amount_in_for(50_000.0, 100_000.0, 50_000_000.0, 25.0)
    order = buy("50000")
    report = swap(order, venue, ledger, plan=plan, pacer=pacer)
    cid = order.client_order_id
    tracked = ledger.tracked(cid)
    assert tracked is not None and tracked.status is S.FILLED and report.placed == [cid]
    assert [e.kind for e in ledger.order_events(cid)] == [E.INITIALIZED, E.SUBMITTED, E.ACCEPTED, E.FILLED]
    [fill] = ledger.fills()
    assert float(fill.price) == pytest.approx(expected_in / 50_000.0)  # price impact + pool fee, from the curve
    assert float(fill.fee) == pytest.approx(0.002)  # the priority fee
    assert len(sleeper.slept) == venue.confirm_polls  # polled until it landed
    assert venue.balances["BONK"] == D("50000")


def test_a_swap_beyond_the_slippage_guard_is_denied_before_sending(
    ledger: Ledger, clock: SteppingClock, pacer: Pacer, plan: SwapPlan
) -> None:
    venue = dex(clock)
    order = buy("5000000")  # 10% of the pool: ~11% impact
    report = swap(order, venue, ledger, plan=plan, policy=ExecutionPolicy(max_slippage_bps=100), pacer=pacer)
    assert [cid for cid, _ in report.denied] == [order.client_order_id] and venue.fetch_my_trades() == []
    tracked = ledger.tracked(order.client_order_id)
    assert tracked is not None and tracked.status is S.DENIED and "AMM curve" in tracked.reason


def test_failed_transactions_are_canceled_with_the_chains_reason_and_not_resubmitted(
    ledger: Ledger, clock: SteppingClock, pacer: Pacer, plan: SwapPlan
) -> None:
    venue = dex(clock, flow_bps=300.0, seed=3)  # other traders move the price up to 3% per poll
    orders = [buy("50000", seq=i) for i in range(8)]
    for order in orders:
        swap(order, venue, ledger, plan=plan, policy=ExecutionPolicy(max_slippage_bps=40), pacer=pacer)
    final = [ledger.tracked(o.client_order_id) for o in orders]
    failed = [o for o in final if o is not None and o.status is S.CANCELED]
    landed = [o for o in final if o is not None and o.status is S.FILLED]
    assert failed and landed and len(failed) + len(landed) == len(orders)
    assert all("slippage tolerance exceeded" in o.reason and o.filled == 0 for o in failed)
    assert len(venue._txs) == len(orders)  # a failed swap is final: never resubmitted
    fees = sum(f.fee for f in ledger.fills())
    paid = D("10000") - venue.balances["USDC"] - sum(f.amount * f.price for f in ledger.fills())
    assert abs(paid - fees - len(failed) * D("0.002")) < D("1e-9")  # failed transactions still paid their fee


def test_a_dropped_transaction_expires_and_is_resubmitted_with_a_higher_fee_under_a_derived_id(
    ledger: Ledger, clock: SteppingClock, pacer: Pacer
) -> None:
    venue = dex(clock, drop_rate=1.0)
    venue.fee_reference = 0.01
    order = buy("50000")
    plan = SwapPlan(priority_fee=0.0, fee_escalation=3.0, max_resubmits=3, max_polls=12)
    report = swap(order, venue, ledger, plan=plan, pacer=pacer)
    first = ledger.tracked(order.client_order_id)
    assert first is not None and first.status is S.EXPIRED and "blockhash expired" in first.reason
    assert len(report.placed) >= 2 and report.placed[0] == order.client_order_id
    fees = [tx.priority_fee for tx in venue._txs.values()]
    assert fees == sorted(fees) and fees[0] == 0.0  # escalating
    assert len({tx.client_order_id for tx in venue._txs.values()}) == len(venue._txs)  # never the same id twice


def test_an_unconfirmed_swap_is_left_for_recovery_which_never_resubmits(
    ledger: Ledger, clock: SteppingClock, pacer: Pacer
) -> None:
    venue = dex(clock)
    order = buy("50000")
    swap(order, venue, ledger, plan=SwapPlan(max_polls=0), pacer=pacer)
    assert ledger.tracked(order.client_order_id).status is S.ACCEPTED  # type: ignore[union-attr]
    for _ in range(3):
        recover_unresolved({"sim-sol": venue}, ledger, pacer=pacer)
    assert ledger.tracked(order.client_order_id).status is S.FILLED  # type: ignore[union-attr]
    assert len(venue._txs) == 1


def test_a_honeypot_sell_fails_with_the_chains_reason(
    ledger: Ledger, clock: SteppingClock, pacer: Pacer, plan: SwapPlan
) -> None:
    venue = dex(clock, honeypot=True)
    swap(buy("50000"), venue, ledger, plan=plan, pacer=pacer)
    sell = intent("50000", SYMBOL, Side.SELL, venue="sim-sol", seq=1)
    swap(sell, venue, ledger, plan=plan, policy=ExecutionPolicy(max_slippage_bps=100), pacer=pacer)
    tracked = ledger.tracked(sell.client_order_id)
    assert tracked is not None and tracked.status is S.CANCELED and "honeypot" in tracked.reason
    assert venue.balances["BONK"] == D("50000")  # still stuck with the tokens


def test_pools_from_the_sim_pool_feed_trade_through_the_executor(
    ledger: Ledger, clock: SteppingClock, pacer: Pacer, plan: SwapPlan
) -> None:
    feed = SimPoolFeed(7, clock, start_ms=clock.at_ms - 48 * HOUR)
    pools = [p for p in feed.pools(max_age_s=48 * 3600) if not p.rugged and not p.honeypot][:3]
    assert pools
    venue = SimDex.from_facts("sim-sol", pools, clock, balances={"USDC": 10_000.0}, drop_rate=0.0)
    for i, facts_ in enumerate(pools):
        amount = f"{facts_.base_reserve * 0.0005:.6f}"  # 0.05% of the pool: ~5 bps impact + the fee
        order = intent(amount, facts_.symbol, venue="sim-sol", seq=i)
        swap(order, venue, ledger, plan=plan, policy=ExecutionPolicy(max_slippage_bps=150), pacer=pacer)
        tracked = ledger.tracked(order.client_order_id)
        assert tracked is not None and tracked.status is S.FILLED, tracked
