"""The emergency stop's cancel sweep against SimExchange, including cancels that time out."""

from __future__ import annotations

from decimal import Decimal

from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.core.positions.emergency import cancel_open_orders, close_intents
from tradepipe.domain.orders import IntentPurpose, OrderType, Side
from tradepipe.domain.portfolio import Position

NOW = 1_767_225_600_000 + 600 * 3_600_000


def venue(faults: FaultPlan | None = None) -> SimExchange:
    clock = SimClock(NOW)
    market = SimMarket(7, bad_data_every=0)
    return SimExchange("sim-x", market, clock, symbols=["BTC/USDT", "ETH/USDT"], taker_fee=0.001, maker_fee=0.001,
                       depth_usd=100_000.0, spread_bps=2.0, faults=faults)  # fmt: skip


def rest(v: SimExchange, n: int) -> None:
    for i in range(n):
        v.create_order("BTC/USDT", "limit", "buy", 0.01, 1_000.0 + i, {"clientOrderId": f"rest-{i}"})


def test_every_open_order_is_canceled() -> None:
    v = venue()
    rest(v, 3)
    report = cancel_open_orders({"sim-x": v})
    assert len(report.canceled) == 3 and report.failed == [] and report.still_open == []
    assert v.fetch_open_orders() == []


def test_a_cancel_that_times_out_is_swept_again_and_never_assumed_done() -> None:
    v = venue(FaultPlan(seed=1, timeout={"cancel_order": 1.0}, applied_on_timeout=0.0))
    rest(v, 2)
    report = cancel_open_orders({"sim-x": v}, sweeps=2)
    assert len(report.failed) == 4  # two orders, two sweeps, every cancel timed out without effect
    assert sorted(report.still_open) == sorted(("sim-x", o["id"]) for o in v.fetch_open_orders())
    assert len(report.still_open) == 2


def test_close_intents_sell_every_open_position_at_market() -> None:
    held = Position("sim-x", "BTC/USDT", Decimal("0.5"), Decimal("100"), None, None, 0)
    flat = Position("sim-x", "ETH/USDT", Decimal("0"), Decimal("0"), None, None, 0)
    (intent,) = close_intents([held, flat], {}, run_id="stop-1")
    assert (intent.side, intent.order_type, intent.amount, intent.purpose) == (
        Side.SELL, OrderType.MARKET, Decimal("0.5"), IntentPurpose.EXIT,
    )  # fmt: skip
    assert intent.reference_price == Decimal("100")  # no mark: the entry price
