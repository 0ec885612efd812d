"""Stage 7: stop-loss and take-profit exits on the latest mark; deterministic client ids."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradepipe.core.execution.ids import client_order_id
from tradepipe.core.positions.exits import exit_intents
from tradepipe.domain.orders import IntentPurpose, OrderType, Side
from tradepipe.domain.portfolio import Position

D = Decimal
RUN = "run-7"


def position(
    symbol: str = "ABC/USDT",
    *,
    venue: str = "v",
    amount: str = "2.5",
    stop: str | None = "90",
    target: str | None = "120",
) -> Position:
    return Position(
        venue,
        symbol,
        D(amount),
        D("100"),
        D(stop) if stop is not None else None,
        D(target) if target is not None else None,
        opened_at_ms=1_000,
    )


@pytest.mark.parametrize("mark", ["90", "89.99", "1"])
def test_stop_hit_sells_everything(mark: str) -> None:
    (intent,) = exit_intents([position()], {("v", "ABC/USDT"): D(mark)}, run_id=RUN)
    assert intent.purpose is IntentPurpose.STOP_LOSS
    assert (intent.side, intent.order_type, intent.amount) == (Side.SELL, OrderType.MARKET, D("2.5"))
    assert (intent.venue, intent.symbol, intent.run_id) == ("v", "ABC/USDT", RUN)
    assert intent.reference_price == D(mark)
    assert intent.reason == f"mark {mark} ≤ stop 90"


@pytest.mark.parametrize("mark", ["120", "120.01", "500"])
def test_target_hit_sells_everything(mark: str) -> None:
    (intent,) = exit_intents([position()], {("v", "ABC/USDT"): D(mark)}, run_id=RUN)
    assert intent.purpose is IntentPurpose.TAKE_PROFIT
    assert (intent.side, intent.amount, intent.reference_price) == (Side.SELL, D("2.5"), D(mark))
    assert intent.reason == f"mark {mark} ≥ target 120"


@pytest.mark.parametrize("mark", ["90.01", "100", "119.99"])
def test_neither_hit_gives_no_exit(mark: str) -> None:
    assert exit_intents([position()], {("v", "ABC/USDT"): D(mark)}, run_id=RUN) == []


def test_position_without_stop_or_target_is_never_exited() -> None:
    p = position(stop=None, target=None)
    assert exit_intents([p], {("v", "ABC/USDT"): D("0.0001")}, run_id=RUN) == []
    assert exit_intents([p], {("v", "ABC/USDT"): D("1e9")}, run_id=RUN) == []


def test_only_a_target_still_takes_profit() -> None:
    (intent,) = exit_intents([position(stop=None)], {("v", "ABC/USDT"): D("130")}, run_id=RUN)
    assert intent.purpose is IntentPurpose.TAKE_PROFIT


def test_closed_position_is_ignored() -> None:
    closed = position(amount="0")
    assert exit_intents([closed], {("v", "ABC/USDT"): D("1")}, run_id=RUN) == []


def test_position_without_a_mark_is_ignored() -> None:
    assert exit_intents([position()], {("other", "ABC/USDT"): D("1")}, run_id=RUN) == []


def test_client_ids_are_deterministic_and_distinct_per_position() -> None:
    positions = [position("ABC/USDT"), position("XYZ/USDT"), position("ABC/USDT", venue="w")]
    marks = {(p.venue, p.symbol): D("1") for p in positions}
    first = exit_intents(positions, marks, run_id=RUN)
    again = exit_intents(positions, marks, run_id=RUN)
    assert [i.client_order_id for i in first] == [i.client_order_id for i in again]
    assert [i.client_order_id for i in first] == [client_order_id(RUN, p.venue, p.symbol, "sell", 0) for p in positions]
    assert len({i.client_order_id for i in first}) == 3
    other_run = exit_intents(positions, marks, run_id="run-8")
    assert {i.client_order_id for i in other_run}.isdisjoint(i.client_order_id for i in first)


def test_client_order_id_shape() -> None:
    cid = client_order_id(RUN, "v", "ABC/USDT", "sell", 0)
    assert cid.startswith("tp") and len(cid) == 32
    assert cid != client_order_id(RUN, "v", "ABC/USDT", "buy", 0)
    assert cid != client_order_id(RUN, "v", "ABC/USDT", "sell", 1)


def test_mixed_book_exits_only_the_triggered_positions_in_input_order() -> None:
    positions = [position("AAA/USDT"), position("BBB/USDT"), position("CCC/USDT"), position("DDD/USDT", amount="0")]
    marks = {
        ("v", "AAA/USDT"): D("150"),
        ("v", "BBB/USDT"): D("100"),
        ("v", "CCC/USDT"): D("50"),
        ("v", "DDD/USDT"): D("50"),
    }
    intents = exit_intents(positions, marks, run_id=RUN)
    assert [(i.symbol, i.purpose) for i in intents] == [
        ("AAA/USDT", IntentPurpose.TAKE_PROFIT),
        ("CCC/USDT", IntentPurpose.STOP_LOSS),
    ]
