"""Random fill streams through the real ledger (SQLite and PostgreSQL): the materialised positions equal the ones
rebuilt from the stored fills, for both cost methods, and cash + Σ cost basis + fees − realised is conserved."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradepipe.adapters.storage.database import make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.core.reconcile import rebuild_positions
from tradepipe.domain.orders import Fill, IntentPurpose, Order, OrderIntent, OrderStatus, OrderType, Side

D = Decimal
START = D("100000")
counter = itertools.count()


@pytest.fixture
def engine(ledger_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(ledger_url)
    migrate(engine)
    Ledger(engine).start_run("run-1", as_of_ms=1, mode="paper", seed=7)
    return engine


trades = st.lists(
    st.tuples(
        st.sampled_from(["A/USDT", "B/USDT"]),
        st.booleans(),
        st.decimals(min_value=D("0.01"), max_value=D("1"), places=2),
        st.decimals(min_value=D("1"), max_value=D("500"), places=3),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.parametrize("method", ["average", "fifo"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=trades)
def test_materialised_positions_equal_the_rebuilt_ones(engine, method, stream) -> None:  # type: ignore[no-untyped-def]
    venue = f"v{next(counter)}"  # a fresh venue per example: the ledger is shared across examples
    ledger = Ledger(engine, cost_method=method)
    ledger.fund(venue, "USDT", START)
    held = {"A/USDT": D(0), "B/USDT": D(0)}
    for n, (symbol, buy, share, price) in enumerate(stream):
        amount = (D("3") * share) if buy else (held[symbol] * share).quantize(D("1e-6"))
        if amount <= 0:
            continue
        side = Side.BUY if buy else Side.SELL
        held[symbol] += amount if buy else -amount
        cid = f"{venue}-c{n}"
        ledger.add_intent(OrderIntent(cid, "run-1", venue, symbol, side, amount, OrderType.MARKET,
                                      IntentPurpose.ENTRY, price))  # fmt: skip
        fee = (amount * price * D("0.001")).quantize(D("1e-8"))
        fill = Fill(venue, f"{cid}-t", f"{cid}-o", cid, symbol, side, amount, price, fee, "USDT", n)
        ledger.record_order(Order(venue, f"{cid}-o", cid, symbol, side, OrderType.MARKET, amount, amount, price,
                                  OrderStatus.FILLED, n, (fill,)))  # fmt: skip
    stored = {p.key: p for p in ledger.positions(include_closed=True) if p.venue == venue}
    rebuilt = rebuild_positions([f for f in ledger.fills() if f.venue == venue], method)
    assert set(stored) == set(rebuilt)
    for key, position in rebuilt.items():
        mine = stored[key]
        assert (mine.amount, mine.cost_basis, mine.realized_pnl, mine.fees, mine.lots) == (
            position.amount, position.cost_basis, position.realized_pnl, position.fees, position.lots,
        )  # fmt: skip
        assert mine.amount == held[key[1]]
    cash = ledger.cash()[(venue, "USDT")]
    assert cash >= 0
    conserved = cash + sum((p.cost_basis + p.fees - p.realized_pnl for p in stored.values()), D(0))
    assert abs(conserved - START) <= D("1e-12")
