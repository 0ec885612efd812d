"""ccxt unified structures → domain values: order status, exact Decimals, market rules precision modes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.core import venue_mapping as vm
from tradepipe.domain.orders import OrderStatus, OrderType, Side

D = Decimal


def raw_order(**overrides: Any) -> dict[str, Any]:
    order = {
        "id": 123,
        "clientOrderId": "tp-abc",
        "symbol": "ETH/USDT",
        "type": "market",
        "side": "buy",
        "amount": 24.7,
        "filled": 24.7,
        "average": 3001.15,
        "status": "closed",
        "timestamp": 1_767_225_600_000,
        "info": {},
    }
    return {**order, **overrides}


def raw_trade(**overrides: Any) -> dict[str, Any]:
    trade = {
        "id": "t-1",
        "order": 123,
        "symbol": "ETH/USDT",
        "side": "buy",
        "amount": 24.7,
        "price": 3001.15,
        "fee": {"cost": 0.0741284, "currency": "USDT"},
        "timestamp": 1_767_225_600_123,
    }
    return {**trade, **overrides}


# --- order status ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("open", 0.0, OrderStatus.ACCEPTED),
        ("open", None, OrderStatus.ACCEPTED),
        ("open", 0.3, OrderStatus.PARTIALLY_FILLED),
        ("closed", 24.7, OrderStatus.FILLED),
        ("canceled", 0.0, OrderStatus.CANCELED),
        ("canceled", 3.0, OrderStatus.CANCELED),
        ("cancelled", 0.0, OrderStatus.CANCELED),
        ("expired", 0.0, OrderStatus.EXPIRED),
        ("rejected", 0.0, OrderStatus.REJECTED),
        ("weird", 0.0, OrderStatus.UNKNOWN),
        (None, 0.0, OrderStatus.UNKNOWN),
    ],
)
def test_order_status(status: str | None, filled: float | None, expected: OrderStatus) -> None:
    assert vm.order_status({"status": status, "filled": filled}) is expected


def test_canceled_with_fills_keeps_what_was_filled() -> None:
    order = vm.order("v", raw_order(status="canceled", amount=10.0, filled=3.3, average=100.5), "tp-abc", [])
    assert order.status is OrderStatus.CANCELED
    assert (order.amount, order.filled, order.average_price) == (D("10.0"), D("3.3"), D("100.5"))


def test_partially_filled_order() -> None:
    order = vm.order("v", raw_order(status="open", type="limit", amount=10.0, filled=0.1), "tp-abc", [])
    assert (order.status, order.order_type, order.filled) == (OrderStatus.PARTIALLY_FILLED, OrderType.LIMIT, D("0.1"))


# --- fills and orders: floats become exact Decimals -------------------------------------------------------


def test_fill_decimals_are_the_floats_shortest_repr() -> None:
    f = vm.fill("sim-alpha", raw_trade(), "tp-abc")
    assert f.amount == D("24.7") and str(f.amount) == "24.7"
    assert f.price == D("3001.15") and str(f.price) == "3001.15"
    assert f.fee == D("0.0741284")
    assert (f.venue, f.trade_id, f.order_id, f.client_order_id) == ("sim-alpha", "t-1", "123", "tp-abc")
    assert (f.symbol, f.side, f.fee_currency, f.timestamp_ms) == ("ETH/USDT", Side.BUY, "USDT", 1_767_225_600_123)


@pytest.mark.parametrize("value", [0.1, 0.3, 24.7, 1e-8, 123456.789, 0.000123])
def test_fill_amount_and_price_are_exact(value: float) -> None:
    f = vm.fill("v", raw_trade(amount=value, price=value), "c")
    assert f.amount == f.price == D(repr(value))


def test_fill_without_fee_costs_nothing_in_the_quote() -> None:
    f = vm.fill("v", raw_trade(fee=None, symbol="SOL/USDC"), "c")
    assert (f.fee, f.fee_currency) == (D(0), "USDC")


def test_fill_with_base_fee_keeps_its_currency() -> None:
    f = vm.fill("v", raw_trade(fee={"cost": 0.0247, "currency": "ETH"}), "c")
    assert (f.fee, f.fee_currency) == (D("0.0247"), "ETH")


def test_sell_fill() -> None:
    assert vm.fill("v", raw_trade(side="sell"), "c").side is Side.SELL


def test_order_maps_fields_and_its_trades() -> None:
    trades = [raw_trade(id="t-1", amount=20.0), raw_trade(id="t-2", amount=4.7, price=3002.0)]
    order = vm.order("sim-alpha", raw_order(info={"reason": "ioc remainder"}), "tp-abc", trades)
    assert (order.venue, order.order_id, order.client_order_id) == ("sim-alpha", "123", "tp-abc")
    assert (order.symbol, order.side, order.order_type) == ("ETH/USDT", Side.BUY, OrderType.MARKET)
    assert (order.amount, order.filled, order.average_price) == (D("24.7"), D("24.7"), D("3001.15"))
    assert (order.status, order.timestamp_ms, order.reason) == (OrderStatus.FILLED, 1_767_225_600_000, "ioc remainder")
    assert [f.trade_id for f in order.fills] == ["t-1", "t-2"]
    assert sum(f.amount for f in order.fills) == order.filled  # 20.0 + 4.7 == 24.7 exactly in Decimal
    assert all(f.client_order_id == "tp-abc" for f in order.fills)


def test_order_defaults() -> None:
    order = vm.order("v", raw_order(type=None, filled=None, average=None, timestamp=None, info=None), "c", [])
    assert (order.order_type, order.filled, order.average_price, order.timestamp_ms, order.reason) == (
        OrderType.MARKET,
        D(0),
        None,
        0,
        "",
    )


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-12, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_any_finite_float_round_trips(value: float) -> None:
    f = vm.fill("v", raw_trade(amount=value, price=value), "c")
    assert float(f.amount) == value
    assert f.amount == D(repr(value))


# --- snapshots -------------------------------------------------------------------------------------------


MARKET = {"base": "ETH", "quote": "USDT"}


def test_snapshot() -> None:
    t = {"symbol": "ETH/USDT", "last": 3000.5, "bid": 3000.0, "ask": 3001.0, "quoteVolume": 1.5e7}
    s = vm.snapshot("v", t, MARKET)
    assert s is not None
    assert (s.venue, s.symbol, s.base, s.quote) == ("v", "ETH/USDT", "ETH", "USDT")
    assert (s.last, s.bid, s.ask, s.quote_volume) == (3000.5, 3000.0, 3001.0, 1.5e7)


@pytest.mark.parametrize("missing", ["last", "bid", "ask"])
def test_snapshot_without_a_price_is_none(missing: str) -> None:
    t = {"symbol": "ETH/USDT", "last": 3000.5, "bid": 3000.0, "ask": 3001.0, missing: None}
    assert vm.snapshot("v", t, MARKET) is None


def test_snapshot_without_volume_has_zero_volume() -> None:
    s = vm.snapshot("v", {"symbol": "ETH/USDT", "last": 1.0, "bid": 0.9, "ask": 1.1, "quoteVolume": None}, MARKET)
    assert s is not None and s.quote_volume == 0.0


# --- market rules and precision --------------------------------------------------------------------------


def ccxt_market(amount: float | int | None, price: float | int | None, **extra: Any) -> dict[str, Any]:
    return {
        "symbol": "ETH/USDT",
        "precision": {"amount": amount, "price": price},
        "limits": {"amount": {"min": 0.0001, "max": None}, "cost": {"min": 5.0, "max": None}},
        "taker": 0.001,
        **extra,
    }


def test_market_rules_tick_size_mode() -> None:
    rules = vm.market_rules(ccxt_market(0.0001, 0.01))
    assert rules.amount_quantum == D("0.0001")
    assert rules.price_quantum == D("0.01")
    assert (rules.min_amount, rules.min_cost, rules.taker_fee) == (D("0.0001"), D("5.0"), D("0.001"))


def test_market_rules_decimal_places_mode() -> None:
    rules = vm.market_rules(ccxt_market(4, 2))
    assert rules.amount_quantum == D("0.0001")
    assert rules.price_quantum == D("0.01")


def test_market_rules_without_precision_or_limits() -> None:
    rules = vm.market_rules({"symbol": "X/USDT"})
    assert rules.amount_quantum == rules.price_quantum == D("1e-8")
    assert (rules.min_amount, rules.min_cost, rules.taker_fee) == (D(0), D(0), D(0))


@pytest.mark.parametrize(
    ("precision", "step"),
    [
        (0.001, "0.001"),
        (1e-8, "1e-8"),
        (0.1, "0.1"),
        (0.5, "0.5"),
        (0.25, "0.25"),
        (1.0, "1"),
        (10.0, "10"),
        (3, "0.001"),
        (8, "1e-8"),
        (1, "0.1"),
        (0, "1"),
    ],
    ids=lambda v: repr(v),
)
def test_precision_becomes_the_exact_step(precision: float | int, step: str) -> None:
    """A float is ccxt's TICK_SIZE (the step itself); an int is DECIMAL_PLACES (0 = whole units)."""
    assert vm.decimal_places(precision) == D(step)
    assert vm.decimal_places(precision) > 0


def test_market_rules_with_whole_unit_lots() -> None:
    assert vm.market_rules(ccxt_market(1.0, 0.5)).amount_quantum == D(1)
    assert vm.market_rules(ccxt_market(0, 0)).amount_quantum == D(1)
    assert vm.market_rules(ccxt_market(10.0, 1e-6)).amount_quantum == D(10)
    assert vm.market_rules(ccxt_market(1.0, 0.5)).price_quantum == D("0.5")
