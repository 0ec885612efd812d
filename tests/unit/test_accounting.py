"""Ledger arithmetic: cash and realised P&L identities over random fill streams; rebuild equals incremental."""

from __future__ import annotations

from decimal import Decimal
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.core.positions.accounting import apply_fill, base_and_quote
from tradepipe.core.reconcile import rebuild_positions
from tradepipe.domain.orders import Fill, Side
from tradepipe.domain.portfolio import Position
from tradepipe.errors import LedgerError

D = Decimal
ZERO = D(0)


def fill(
    side: Side,
    amount: str | Decimal,
    price: str | Decimal,
    *,
    fee: str | Decimal = "0",
    fee_currency: str = "USDT",
    symbol: str = "ABC/USDT",
    venue: str = "v",
    n: int = 0,
) -> Fill:
    return Fill(venue, f"t{n}", f"o{n}", f"c{n}", symbol, side, D(amount), D(price), D(fee), fee_currency, 1_000 + n)


# --- examples ----------------------------------------------------------------------------------------------


def test_buy_opens_a_position_and_spends_notional_plus_fee() -> None:
    pos, cash = apply_fill(None, fill(Side.BUY, "2", "100", fee="0.2"), stop_loss=D("90"), take_profit=D("120"))
    assert cash == D("-200.2")
    assert (pos.amount, pos.average_price, pos.realized_pnl, pos.fees) == (D("2"), D("100"), ZERO, D("0.2"))
    assert (pos.stop_loss, pos.take_profit, pos.opened_at_ms) == (D("90"), D("120"), 1_000)
    assert pos.is_open


def test_second_buy_averages_the_price_and_keeps_protection_unless_given() -> None:
    pos, _ = apply_fill(None, fill(Side.BUY, "1", "100"), stop_loss=D("90"))
    pos, cash = apply_fill(pos, fill(Side.BUY, "3", "120", n=1))
    assert cash == D("-360")
    assert pos.amount == D("4")
    assert pos.average_price == D("115")  # (100 + 360) / 4
    assert pos.stop_loss == D("90")
    assert pos.opened_at_ms == 1_000


def test_partial_then_full_sell_realises_pnl_and_clears_protection() -> None:
    pos, _ = apply_fill(None, fill(Side.BUY, "4", "100", fee="0.4"), stop_loss=D("90"), take_profit=D("130"))
    pos, cash = apply_fill(pos, fill(Side.SELL, "1", "110", fee="0.11", n=1))
    assert cash == D("109.89")
    assert (pos.amount, pos.average_price) == (D("3"), D("100"))
    assert (pos.realized_pnl, pos.fees) == (D("10"), D("0.4") + D("0.11"))
    assert pos.stop_loss == D("90")
    pos, cash = apply_fill(pos, fill(Side.SELL, "3", "90", fee="0.27", n=2))
    assert cash == D("269.73")
    assert (pos.amount, pos.average_price, pos.stop_loss, pos.take_profit) == (ZERO, ZERO, None, None)
    assert not pos.is_open
    # realised is gross (sell proceeds − buy costs); fees are kept apart
    assert pos.realized_pnl == (D("110") + D("270")) - D("400")
    assert pos.fees == D("0.4") + D("0.11") + D("0.27")


def test_base_currency_fee_reduces_the_amount_received_and_is_valued_as_a_fee() -> None:
    pos, cash = apply_fill(None, fill(Side.BUY, "10", "100", fee="0.01", fee_currency="ABC"))
    assert cash == D("-1000")
    assert pos.amount == D("9.99")
    assert pos.average_price == D("100")  # the price paid; the fee is not folded into the entry
    assert pos.fees == D("1")  # 0.01 ABC at 100
    pos, cash = apply_fill(pos, fill(Side.SELL, "9.98", "110", fee="0.01", fee_currency="ABC", n=1))
    assert cash == D("1097.8")
    assert pos.amount == ZERO
    assert pos.realized_pnl == D("9.99") * 10  # 9.99 ABC gone at 110 − 999 cost
    assert pos.realized_pnl - pos.fees == D("97.8")  # 1097.8 received − 1000 paid, exactly


def test_fee_in_a_third_currency_touches_neither_cash_nor_amount() -> None:
    pos, cash = apply_fill(None, fill(Side.BUY, "1", "50", fee="0.3", fee_currency="BNB"))
    assert (cash, pos.amount, pos.realized_pnl) == (D("-50"), D("1"), ZERO)


def test_reopening_after_a_full_close_takes_the_new_open_time_and_keeps_realised_pnl() -> None:
    pos, _ = apply_fill(None, fill(Side.BUY, "1", "100"))
    pos, _ = apply_fill(pos, fill(Side.SELL, "1", "105", n=1))
    pos, _ = apply_fill(pos, fill(Side.BUY, "2", "50", n=2))
    assert (pos.amount, pos.average_price, pos.opened_at_ms, pos.realized_pnl) == (D("2"), D("50"), 1_002, D("5"))


@pytest.mark.parametrize(
    ("held", "sell", "fee", "fee_currency"),
    [("0", "0.1", "0", "USDT"), ("1", "1.0001", "0", "USDT"), ("1", "1", "0.001", "ABC")],
    ids=["nothing-held", "more-than-held", "base-fee-tips-over"],
)
def test_selling_more_than_held_raises(held: str, sell: str, fee: str, fee_currency: str) -> None:
    pos = None if held == "0" else apply_fill(None, fill(Side.BUY, held, "10"))[0]
    with pytest.raises(LedgerError, match="sells"):
        apply_fill(pos, fill(Side.SELL, sell, "10", fee=fee, fee_currency=fee_currency, n=1))


def test_base_and_quote() -> None:
    assert base_and_quote("BTC/USDT") == ("BTC", "USDT")
    assert base_and_quote("BTC/USDT:USDT") == ("BTC", "USDT")


# --- properties --------------------------------------------------------------------------------------------

amounts = st.decimals(min_value=D("0.001"), max_value=D("50"), places=3)
prices = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)
fee_rates = st.sampled_from([D("0"), D("0.00075"), D("0.001"), D("0.0025")])


@st.composite
def fill_stream(draw: st.DrawFn, *, close_at_end: bool) -> list[Fill]:
    """Buys and sells (quote-currency fees) of one symbol, never selling more than held."""
    fills: list[Fill] = []
    held = ZERO
    for n in range(draw(st.integers(1, 25))):
        price = draw(prices)
        rate = draw(fee_rates)
        if held > 0 and draw(st.booleans()):
            amount = min(held, draw(amounts)) if not draw(st.booleans()) else held
            side = Side.SELL
            held -= amount
        else:
            amount = draw(amounts)
            side = Side.BUY
            held += amount
        fills.append(fill(side, amount, price, fee=(amount * price * rate).quantize(D("1e-8")), n=n))
    if close_at_end and held > 0:
        price = draw(prices)
        fills.append(fill(Side.SELL, held, price, fee=(held * price * D("0.001")).quantize(D("1e-8")), n=len(fills)))
    return fills


def run(fills: list[Fill]) -> tuple[Position | None, Decimal]:
    position: Position | None = None
    cash = ZERO
    for f in fills:
        position, delta = apply_fill(position, f)
        cash += delta
    return position, cash


@settings(max_examples=200, deadline=None)
@given(fills=fill_stream(close_at_end=False), start=st.integers(0, 10**7))
def test_cash_and_amount_identities(fills: list[Fill], start: int) -> None:
    position, deltas = run(fills)
    cash = D(start) + deltas
    buys = [f for f in fills if f.side is Side.BUY]
    sells = [f for f in fills if f.side is Side.SELL]
    assert cash == D(start) + sum(f.amount * f.price - f.fee for f in sells) - sum(
        f.amount * f.price + f.fee for f in buys
    )
    assert position is not None
    assert position.amount == sum(f.amount for f in buys) - sum(f.amount for f in sells)
    assert position.amount >= 0
    assert position.average_price >= 0
    assert (position.average_price == 0) == (position.amount == 0)


@settings(max_examples=200, deadline=None)
@given(fills=fill_stream(close_at_end=True))
def test_realised_pnl_after_full_close_is_proceeds_minus_costs_minus_fees(fills: list[Fill]) -> None:
    position, cash = run(fills)
    assert position is not None and position.amount == 0
    proceeds = sum(f.amount * f.price for f in fills if f.side is Side.SELL)
    costs = sum(f.amount * f.price for f in fills if f.side is Side.BUY)
    fees = sum(f.fee for f in fills)
    # the position carries its cost basis, so a full close releases all of it: exact, no tolerance
    assert position.realized_pnl == proceeds - costs
    assert position.fees == fees
    assert cash == proceeds - costs - fees


@settings(max_examples=50, deadline=None)
@given(
    streams=st.lists(
        st.tuples(
            st.sampled_from(["v1", "v2"]), st.sampled_from(["A/USDT", "B/USDT"]), fill_stream(close_at_end=False)
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda t: (t[0], t[1]),
    ),
    order_seed=st.randoms(use_true_random=False),
)
def test_rebuild_from_fills_equals_incremental(streams: list[tuple[str, str, list[Fill]]], order_seed: Random) -> None:
    # interleave the per-symbol streams, keeping each stream's own order
    queues = [[_rekey(f, venue, symbol) for f in fills] for venue, symbol, fills in streams]
    interleaved: list[Fill] = []
    while any(queues):
        q = order_seed.choice([q for q in queues if q])
        interleaved.append(q.pop(0))
    incremental: dict[tuple[str, str], Position] = {}
    for f in interleaved:
        incremental[(f.venue, f.symbol)], _ = apply_fill(incremental.get((f.venue, f.symbol)), f)
    rebuilt = rebuild_positions(interleaved)
    assert rebuilt == incremental
    for venue, symbol, fills in streams:
        alone, _ = run([_rekey(f, venue, symbol) for f in fills])
        assert rebuilt[(venue, symbol)] == alone


def _rekey(f: Fill, venue: str, symbol: str) -> Fill:
    return Fill(
        venue,
        f"{venue}-{symbol}-{f.trade_id}",
        f.order_id,
        f.client_order_id,
        symbol,
        f.side,
        f.amount,
        f.price,
        f.fee,
        f.fee_currency,
        f.timestamp_ms,
    )


@settings(max_examples=100, deadline=None)
@given(fills=fill_stream(close_at_end=False), extra=st.decimals(min_value=D("0.001"), max_value=D("10"), places=3))
def test_overselling_any_stream_raises_ledger_error(fills: list[Fill], extra: Decimal) -> None:
    position, _ = run(fills)
    assert position is not None
    with pytest.raises(LedgerError):
        apply_fill(position, fill(Side.SELL, position.amount + extra, "1", n=999))
