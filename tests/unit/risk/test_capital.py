"""CapitalTracker never double-spends (random operation sequences and real threads); PositionGuard by example."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from tradepipe.core.risk import CapitalTracker, PositionGuard

D = Decimal
VENUES = ("v1", "v2")
amounts = st.integers(0, 5_000).map(lambda c: D(c) / 4)


def test_available_reserved_deployed_by_example() -> None:
    tracker = CapitalTracker({"v": D("1000")}, reserved={"v": D("100")}, deployed={"v": D("1000")}, reserve_pct=0.1)
    cap = tracker.venue("v")
    assert (cap.cash, cap.reserved, cap.deployed, cap.kept) == (D("1000"), D("100"), D("1000"), D("200.0"))
    assert cap.available == D("700.0")
    assert tracker.reserve("v", "a", D("700"))
    assert not tracker.reserve("v", "b", D("0.01"))
    assert not tracker.reserve("v", "a", D("0"))  # one hold per key
    tracker.settle("a", D("650"))
    assert tracker.venue("v") == type(cap)(D("350"), D("100"), D("1650"), D("200.0"))
    assert tracker.release("unknown") == 0
    with pytest.raises(ValueError, match="negative"):
        tracker.reserve("v", "c", D("-1"))
    assert tracker.available("nowhere") == 0


class TrackerMachine(RuleBasedStateMachine):
    """Random reserve / release / settle sequences: cash is never promised twice."""

    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        self.cash = {"v1": D("1000"), "v2": D("250")}
        self.tracker = CapitalTracker(self.cash, reserve_pct=0.05)
        self.count = 0

    @rule(target=keys, venue=st.sampled_from(VENUES), amount=amounts)
    def reserve(self, venue: str, amount: Decimal) -> str:
        self.count += 1
        key = f"k{self.count}"
        before = self.tracker.available(venue)
        ok = self.tracker.reserve(venue, key, amount)
        assert ok == (amount <= before)
        return key

    @rule(key=keys)
    def release(self, key: str) -> None:
        self.tracker.release(key)

    @rule(key=keys, share=st.integers(0, 4))
    def settle(self, key: str, share: int) -> None:
        hold = self.tracker.holds().get(key)
        if hold is not None:
            self.tracker.settle(key, hold[1] * share / 4)

    @invariant()
    def never_over_promised(self) -> None:
        for venue in VENUES:
            cap = self.tracker.venue(venue)
            held = sum((a for v, a in self.tracker.holds().values() if v == venue), D(0))
            assert cap.reserved == held
            assert cap.reserved + cap.kept <= cap.cash or cap.reserved == 0
            assert cap.available >= 0
            assert cap.cash + cap.deployed == self.cash[venue]  # settling moves cash, never creates it


TestTracker = TrackerMachine.TestCase
TestTracker.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)


def test_concurrent_intents_never_reserve_more_than_is_there() -> None:
    tracker = CapitalTracker({"v": D("1000")})
    barrier = threading.Barrier(8)

    def grab(worker: int) -> int:
        barrier.wait()
        return sum(tracker.reserve("v", f"w{worker}-{i}", D("7")) for i in range(40))

    with ThreadPoolExecutor(8) as pool:
        granted = sum(pool.map(grab, range(8)))
    assert granted == 142  # floor(1000 / 7): every coin promised once, none twice
    assert tracker.venue("v").reserved == D("994")
    assert tracker.available("v") == D("6")


def test_position_guard_one_per_symbol_per_venue_unless_scaling_in() -> None:
    guard = PositionGuard({("v", "A/USDT")})
    assert guard.check("v", "A/USDT") is not None
    assert guard.check("w", "A/USDT") is None
    assert guard.claim("w", "A/USDT") is None
    denial = guard.claim("w", "A/USDT")
    assert denial is not None and denial.rule == "position_open"
    scaling = PositionGuard({("v", "A/USDT")}, allow_scale_in=True)
    assert scaling.claim("v", "A/USDT") is None and scaling.claim("v", "A/USDT") is None


def test_concurrent_claims_of_one_slot_give_it_once() -> None:
    guard = PositionGuard(())
    barrier = threading.Barrier(8)

    def claim(_: int) -> bool:
        barrier.wait()
        return guard.claim("v", "A/USDT") is None

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(claim, range(8))) == 1
