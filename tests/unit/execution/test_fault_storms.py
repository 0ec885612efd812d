"""Random fault storms (timeouts, 429s, read failures, cancel timeouts) against a venue that accepts reused client
ids: after recovery, no client id reached the venue twice, every venue trade is a ledger fill once, and every
order is terminal or working with the venue's fills."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.execution.conftest import VENUE, SteppingClock, intent
from tradepipe.adapters.storage.database import make_engine
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.venues.sim_account import Realism
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.core.execution import (
    ExecutionPolicy,
    Pacer,
    cancel_all_open_orders,
    execute_intents,
    recover_unresolved,
)
from tradepipe.domain.orders import TERMINAL_STATUSES, OrderStatus, OrderType

D = Decimal
P = st.floats(0.0, 0.6)
SIZES = {"BTC/USDT": "0.01", "ETH/USDT": "0.4", "DOGE/USDT": "5000"}


@given(
    seed=st.integers(0, 10_000),
    create_timeout=P,
    rate_limit=P,
    read_timeout=st.floats(0.0, 0.4),
    cancel_timeout=P,
    applied=st.floats(0.0, 1.0),
    kinds=st.lists(st.sampled_from(["market", "limit"]), min_size=3, max_size=8),
)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fault_storms_never_duplicate_or_lose(
    _template_db: Path,
    tmp_path: Path,
    market: SimMarket,
    seed: int,
    create_timeout: float,
    rate_limit: float,
    read_timeout: float,
    cancel_timeout: float,
    applied: float,
    kinds: list[str],
) -> None:
    path = tmp_path / f"storm-{seed}.db"
    shutil.copy(_template_db, path)
    ledger = Ledger(make_engine(f"sqlite:///{path}"))
    clock = SteppingClock(market.history_end_ms)
    faults = FaultPlan(
        seed=seed,
        timeout={"create_order": create_timeout, "cancel_order": cancel_timeout, "*": read_timeout},
        rate_limit={"create_order": rate_limit},
        applied_on_timeout=applied,
    )
    venue = SimExchange(
        VENUE, market, clock, symbols=list(SIZES), taker_fee=0.001, maker_fee=0.0008, depth_usd=400_000.0,
        spread_bps=2.0, faults=faults, starting_balances={"USDT": 1_000_000.0},
        realism=Realism(unique_client_ids=False),
    )  # fmt: skip
    policy = ExecutionPolicy(routing="off", rate_limit_rounds=3)
    pacer = Pacer(policy, sleep=lambda _: None)
    orders = []
    for i, kind in enumerate(kinds):
        symbol = list(SIZES)[i % 3]
        extra = {}
        if kind == "limit":
            mid = D(repr(market.price_at(symbol, clock.at_ms)))
            extra = {"order_type": OrderType.LIMIT, "limit_price": (mid * D("0.999")).quantize(D("1e-8"))}
        orders.append(intent(SIZES[symbol], symbol, seq=i, **extra))  # type: ignore[arg-type]
    gateways = {VENUE: venue}
    execute_intents(orders, gateways, ledger, policy=policy, pacer=pacer)
    clock.at_ms += 3_600_000
    cancel_all_open_orders(gateways, ledger, pacer=pacer)
    recover_unresolved(gateways, ledger, pacer=pacer)  # a recovery inside the storm
    venue.faults = FaultPlan()  # the storm passes; recovery runs twice more (a later run, then another)
    for _ in range(2):
        clock.at_ms += 3_600_000
        recover_unresolved(gateways, ledger, pacer=pacer)

    state = venue.account.state
    client_ids = [o.client_order_id for o in state.orders.values()]
    assert len(client_ids) == len(set(client_ids)), "a client id reached the venue twice"
    fills = {f.trade_id: f for f in ledger.fills()}
    assert {t.id for t in state.trades} == set(fills), "a venue trade is missing from (or extra in) the ledger"
    for trade in state.trades:
        assert fills[trade.id].amount == trade.amount
    by_client = {o.client_order_id: o for o in state.orders.values()}
    for o in orders:
        tracked = ledger.tracked(o.client_order_id)
        assert tracked is not None
        at_venue = by_client.get(o.client_order_id)
        if tracked.status in TERMINAL_STATUSES:
            assert at_venue is None or at_venue.status != "open"
        else:
            assert tracked.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED), tracked
            assert at_venue is not None and at_venue.status == "open" and at_venue.filled == tracked.filled
        assert tracked.filled == (at_venue.filled if at_venue else D(0))
    ledger.engine.dispose()
