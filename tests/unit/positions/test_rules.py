"""Exit rules on hand-built price paths: trailing stop, ladder, break-even, time exit, and their registry."""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.config.sections import ExitsSection
from tradepipe.core.positions.book import PositionBook
from tradepipe.core.positions.exits import plan_exits
from tradepipe.core.positions.rules import (
    REGISTRY,
    BreakEven,
    Ladder,
    StopLoss,
    TimeExit,
    TrailingStop,
    build_rules,
    plan,
)
from tradepipe.domain.market import MarketRules
from tradepipe.domain.orders import IntentPurpose, Side
from tradepipe.domain.portfolio import Position
from tradepipe.errors import ConfigurationError

D = Decimal
KEY = ("v", "ABC/USDT")
HOUR = 3_600_000


def position(**kw: object) -> Position:
    base = Position("v", "ABC/USDT", D("10"), D("100"), None, None, 0, cost_basis=D("1000"), entry_amount=D("10"))
    return replace(base, **kw)  # type: ignore[arg-type]


def walk(p: Position, path: list[str], rules: list, **kw: object) -> list[tuple[Position, list]]:
    """Feed ``path`` one mark per bar, persisting moved state as the manage stage does; stop at the first exit."""
    steps = []
    for bar, mark in enumerate(path):
        plan = plan_exits([p], {KEY: D(mark)}, run_id=f"r{bar}", now_ms=bar * HOUR, rules=rules, **kw)  # type: ignore[arg-type]
        for moved in plan.moved:
            p = moved
        steps.append((p, plan.intents))
        if plan.intents:
            break
    return steps


def test_trailing_stop_activates_ratchets_up_only_and_fires_on_the_pullback() -> None:
    trail = TrailingStop(activation=0.05, distance=0.10)
    path = ["101", "104", "106", "120", "115", "125", "119", "112.4"]
    steps = walk(position(stop_loss=D("90")), path, [StopLoss(), trail])
    stops = [s.stop_loss for s, _ in steps]
    assert stops[:2] == [D("90"), D("90")]  # not active below +5%
    assert stops[2] == D("95.4")  # 106 × 0.9: active, above the initial stop
    assert stops[3] == D("108") and stops[4] == D("108")  # 120 high; the 115 pullback does not lower it
    assert stops[5] == D("112.5") and stops[6] == D("112.5")
    assert all(b >= a for a, b in itertools.pairwise(stops))  # a ratchet
    assert [s.high_water_mark for s, _ in steps][5] == D("125")
    (intent,) = steps[-1][1]
    assert len(steps) == len(path)  # fired on the last bar: 112.4 ≤ 112.5
    assert intent.purpose is IntentPurpose.STOP_LOSS and intent.amount == D("10") and intent.side is Side.SELL


def test_trailing_stop_alone_fires_without_a_stop_loss_rule() -> None:
    steps = walk(position(), ["110", "130", "116"], [TrailingStop(activation=0.0, distance=0.10)])
    (intent,) = steps[-1][1]
    assert "trailing stop" in intent.reason and steps[-1][0].stop_loss == D("117")


def test_trailing_stop_never_lowers_a_higher_fixed_stop() -> None:
    steps = walk(position(stop_loss=D("99")), ["106", "107"], [StopLoss(), TrailingStop(0.05, 0.10)])
    assert [s.stop_loss for s, _ in steps] == [D("99"), D("99")]


def test_ladder_sells_each_level_once_as_a_fraction_of_the_entry_amount() -> None:
    ladder = Ladder([0.05, 0.10, 0.20], [0.25, 0.25, 0.5])
    p = position()
    amounts, taken = [], []
    for bar, mark in enumerate(["103", "106", "107", "111", "109", "125"]):
        plan = plan_exits([p], {KEY: D(mark)}, run_id=f"r{bar}", rules=[ladder])
        for moved in plan.moved:
            p = moved
        for intent in plan.intents:  # the sale happens: the position shrinks
            p = replace(p, amount=p.amount - intent.amount)
            amounts.append(intent.amount)
        taken.append(p.exits_taken)
    assert amounts == [D("2.5"), D("2.5"), D("5")]  # 25%, 25%, then the last 50% = everything left
    assert taken == [0, 1, 1, 2, 2, 3]
    assert p.amount == 0


def test_ladder_gap_through_two_levels_sells_both_shares_at_once() -> None:
    plan = plan_exits([position()], {KEY: D("111")}, run_id="r", rules=[Ladder([0.05, 0.10], [0.3, 0.3])])
    (intent,) = plan.intents
    assert intent.amount == D("6") and intent.purpose is IntentPurpose.TAKE_PROFIT
    assert plan.moved[0].exits_taken == 2


def test_partial_exit_rounds_to_the_amount_step_and_sweeps_dust() -> None:
    rules = MarketRules(D("0.1"), D("0.01"), D("0.1"), D("5"), D("0.001"))
    p = position(amount=D("1.37"), entry_amount=D("1.37"), cost_basis=D("137"))
    plan = plan_exits([p], {KEY: D("106")}, run_id="r", rules=[Ladder([0.05], [0.5])], market_rules={KEY: rules})
    assert plan.intents[0].amount == D("0.6")  # 0.685 rounded down to the 0.1 step
    tiny = position(amount=D("0.08"), entry_amount=D("0.08"), cost_basis=D("8"))
    plan = plan_exits([tiny], {KEY: D("106")}, run_id="r", rules=[Ladder([0.05], [0.5])], market_rules={KEY: rules})
    assert plan.intents[0].amount == D("0.08")  # half would leave dust below the minimum: sell it all


def test_break_even_moves_the_stop_to_entry_once_armed() -> None:
    steps = walk(position(stop_loss=D("95")), ["101", "103", "101", "100.05"], [StopLoss(), BreakEven(0.02, 0.001)])
    assert [s.stop_loss for s, _ in steps][:3] == [D("95"), D("100.1"), D("100.1")]
    assert steps[-1][1][0].purpose is IntentPurpose.STOP_LOSS


def test_time_exit_closes_after_the_holding_limit() -> None:
    plan = plan_exits([position()], {KEY: D("100")}, run_id="r", now_ms=47 * HOUR, rules=[TimeExit(48)])
    assert plan.intents == []
    plan = plan_exits([position()], {KEY: D("100")}, run_id="r", now_ms=48 * HOUR, rules=[TimeExit(48)])
    assert plan.intents[0].purpose is IntentPurpose.EXIT and "48 h" in plan.intents[0].reason


def test_full_exit_beats_a_partial_one_and_the_first_rule_listed_decides_ties() -> None:
    p = position(stop_loss=D("90"))
    plan = plan_exits([p], {KEY: D("80")}, run_id="r", now_ms=99 * HOUR, rules=[TimeExit(1), StopLoss()])
    assert plan.intents[0].purpose is IntentPurpose.EXIT
    plan = plan_exits([p], {KEY: D("111")}, run_id="r", now_ms=99 * HOUR, rules=[Ladder([0.1], [0.2]), TimeExit(1)])
    assert plan.intents[0].amount == D("10")


def test_a_missing_mark_leaves_the_position_untouched() -> None:
    plan = plan_exits([position(stop_loss=D("200"))], {}, run_id="r", rules=[StopLoss(), TrailingStop(0, 0.1)])
    assert plan.intents == [] and plan.moved == []


def test_the_vectorised_book_matches_a_per_position_loop() -> None:
    rng = np.random.default_rng(3)
    n = 500
    entry = rng.uniform(1, 100, n)
    positions = [position(average_price=D(f"{e:.4f}"), stop_loss=D(f"{e * 0.9:.4f}")) for e in entry]
    trail = TrailingStop(0.03, 0.05)
    book = PositionBook.from_positions(positions)
    for _ in range(30):
        mark = book.entry * rng.uniform(0.85, 1.25, n)
        expected_high = np.fmax(book.high_water, mark)
        active = expected_high >= book.entry * 1.03
        expected_stop = np.where(active, np.maximum(book.stop, expected_high * 0.95), book.stop)
        book.watch(mark)
        trail.adjust(book, mark, 0)
        assert np.array_equal(book.high_water, expected_high)
        assert np.allclose(book.stop, expected_stop)


def test_registry_builds_the_configured_rules_in_order() -> None:
    assert set(REGISTRY) == {"stop_loss", "take_profit", "trailing_stop", "ladder", "time_exit", "break_even"}
    rules = build_rules(ExitsSection(rules=("ladder", "stop_loss", "time_exit")))
    assert [r.name for r in rules] == ["ladder", "stop_loss", "time_exit"]


def test_bad_exit_config_names_the_field() -> None:
    with pytest.raises(ValueError, match="ladder_fractions"):
        ExitsSection(ladder_levels_pct=(0.1, 0.2), ladder_fractions=(0.5,))
    with pytest.raises(ValueError, match="sum to at most 1"):
        ExitsSection(ladder_levels_pct=(0.1, 0.2), ladder_fractions=(0.6, 0.6))
    with pytest.raises(ValueError, match="rules"):
        ExitsSection(rules=("moon",))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"exits\.trailing_distance_pct"):
        TrailingStop(0.0, 1.5)


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(st.floats(min_value=-0.08, max_value=0.08), min_size=2, max_size=60),
    activation=st.floats(min_value=0.0, max_value=0.1),
    distance=st.floats(min_value=0.01, max_value=0.3),
)
def test_a_trailing_stop_only_ever_rises_and_fires_only_below_its_trail(
    moves: list[float], activation: float, distance: float
) -> None:
    rules = [StopLoss(), TrailingStop(activation, distance)]
    book = PositionBook.from_positions([position(stop_loss=D("80"))])
    price, stops, high = 100.0, [80.0], 0.0
    for move in moves:
        price *= 1 + move
        mark = np.array([price])
        fraction, _ = plan(book, mark, 0, rules)
        high = max(high, price)
        stops.append(float(book.stop[0]))
        assert float(book.high_water[0]) == high
        assert stops[-1] >= stops[-2]  # a ratchet: never lowered
        if high >= 100.0 * (1 + activation):
            assert stops[-1] >= high * (1 - distance) - 1e-9
        assert (fraction[0] == 1.0) == (price <= stops[-1])  # fires exactly when the mark is at/below the stop
        if fraction[0]:
            break
