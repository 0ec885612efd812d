"""Ledger identities under random fill and price streams (hypothesis), for both cost methods.

At every step: cash + Σ position value = equity; equity − starting equity = realised + unrealised − fees;
no cash balance or position amount is negative; positions rebuilt from the fills equal the incremental ones.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.core.positions.accounting import CostMethod, apply_fill
from tradepipe.core.reconcile import rebuild_positions
from tradepipe.domain.orders import Fill, Side
from tradepipe.domain.portfolio import Position

D = Decimal
ZERO = D(0)
SYMBOLS = ("ABC/USDT", "XYZ/USDT")
START_CASH = D("10000")
TOLERANCE = D("1e-12")  # every stored figure is rounded to 18 places; a few roundings per step stay far below this

prices = st.decimals(min_value=D("0.05"), max_value=D("2000"), places=4)
fee_rates = st.sampled_from([D("0"), D("0.00075"), D("0.001"), D("0.0025")])


@st.composite
def steps(draw: st.DrawFn) -> list[tuple[str, str, Decimal, Decimal, Decimal, str]]:
    """(kind, symbol, price, amount share, fee rate, fee currency kind): price moves and fills, as raw draws."""
    out = []
    for _ in range(draw(st.integers(1, 30))):
        kind = draw(st.sampled_from(["mark", "buy", "sell", "sell_all"]))
        share = draw(st.decimals(min_value=D("0.01"), max_value=D("1"), places=2))
        out.append((kind, draw(st.sampled_from(SYMBOLS)), draw(prices), share, draw(fee_rates),
                    draw(st.sampled_from(["quote", "base"]))))  # fmt: skip
    return out


def replay(raw: list[tuple[str, str, Decimal, Decimal, Decimal, str]], method: CostMethod, check) -> list[Fill]:  # type: ignore[no-untyped-def]
    """Turn draws into affordable fills (never spend cash we lack, never sell what we lack) and check each step."""
    positions: dict[str, Position] = {}
    marks = {s: D("1") for s in SYMBOLS}
    cash, fills = START_CASH, []
    for n, (kind, symbol, price, share, rate, fee_kind) in enumerate(raw):
        marks[symbol] = price
        held = positions[symbol].amount if symbol in positions else ZERO
        base = symbol.split("/")[0]
        if kind == "buy":
            amount = (cash * share / price / (1 + rate)).quantize(D("1e-6"), rounding="ROUND_DOWN")
            fee = (amount * rate).quantize(D("1e-8")) if fee_kind == "base" else (amount * price * rate).quantize(
                D("1e-8"))  # fmt: skip
        else:
            amount = held if kind == "sell_all" else (held * share).quantize(D("1e-6"), rounding="ROUND_DOWN")
            fee = (amount * rate).quantize(D("1e-8")) if fee_kind == "base" else (amount * price * rate).quantize(
                D("1e-8"))  # fmt: skip
            if fee_kind == "base":
                amount -= fee  # the base fee comes out of the amount given up
        if kind == "mark" or amount <= 0:
            check(positions, marks, cash)
            continue
        side = Side.BUY if kind == "buy" else Side.SELL
        currency = base if fee_kind == "base" else "USDT"
        f = Fill("v", f"t{n}", f"o{n}", f"c{n}", symbol, side, amount, price, fee, currency, 1_000 + n)
        positions[symbol], delta = apply_fill(positions.get(symbol), f, method=method)
        cash += delta
        fills.append(f)
        check(positions, marks, cash)
    return fills


@pytest.mark.parametrize("method", ["average", "fifo"])
@settings(max_examples=100, deadline=None)
@given(raw=steps())
def test_equity_identities_hold_at_every_step(raw: list, method: CostMethod) -> None:  # type: ignore[type-arg]
    def check(positions: dict[str, Position], marks: dict[str, Decimal], cash: Decimal) -> None:
        assert cash >= 0  # no negative balance
        assert all(p.amount >= 0 and p.cost_basis >= 0 for p in positions.values())
        value = sum((p.amount * marks[s] for s, p in positions.items()), ZERO)
        realised = sum((p.realized_pnl for p in positions.values()), ZERO)
        unrealised = sum((p.unrealized_pnl(marks[s]) for s, p in positions.items()), ZERO)
        fees = sum((p.fees for p in positions.values()), ZERO)
        equity = cash + value  # cash + Σ position value = equity ...
        assert abs((equity - START_CASH) - (realised + unrealised - fees)) <= TOLERANCE  # ... and its change is P&L

    replay(raw, method, check)


@pytest.mark.parametrize("method", ["average", "fifo"])
@settings(max_examples=60, deadline=None)
@given(raw=steps())
def test_rebuilt_positions_equal_incremental_ones(raw: list, method: CostMethod) -> None:  # type: ignore[type-arg]
    final: dict[str, Position] = {}

    def keep(positions: dict[str, Position], marks: object, cash: object) -> None:
        final.clear()
        final.update(positions)

    fills = replay(raw, method, keep)
    rebuilt = rebuild_positions(fills, method)
    assert {k[1]: p for k, p in rebuilt.items()} == final


@settings(max_examples=60, deadline=None)
@given(raw=steps())
def test_fifo_and_average_differ_only_in_when_pnl_is_realised(raw: list) -> None:  # type: ignore[type-arg]
    results = {}
    for method in ("average", "fifo"):
        fills = replay(raw, method, lambda *a: None)  # type: ignore[arg-type]
        positions = rebuild_positions(fills, method)  # type: ignore[arg-type]
        results[method] = {k: (p.amount, p.fees, p.realized_pnl - p.cost_basis) for k, p in positions.items()}
    for key, (amount, fees, total) in results["average"].items():
        fifo_amount, fifo_fees, fifo_total = results["fifo"][key]
        assert (amount, fees) == (fifo_amount, fifo_fees)
        assert abs(total - fifo_total) <= TOLERANCE  # realised − remaining cost = proceeds − all that was paid


def test_fifo_releases_the_oldest_lots_first() -> None:
    def f(side: Side, amount: str, price: str, n: int) -> Fill:
        return Fill("v", f"t{n}", "o", "c", "ABC/USDT", side, D(amount), D(price), ZERO, "USDT", n)

    fifo = avg = None
    for fill in (f(Side.BUY, "1", "100", 1), f(Side.BUY, "1", "200", 2), f(Side.SELL, "1", "250", 3)):
        fifo, _ = apply_fill(fifo, fill, method="fifo")
        avg, _ = apply_fill(avg, fill, method="average")
    assert fifo is not None and avg is not None
    assert (fifo.realized_pnl, fifo.average_price, fifo.cost_basis) == (D("150"), D("200"), D("200"))
    assert (avg.realized_pnl, avg.average_price, avg.cost_basis) == (D("100"), D("150"), D("150"))
    assert [(lot.amount, lot.price) for lot in fifo.lots] == [(D("1"), D("200"))]
