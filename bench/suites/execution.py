"""Execution benchmark: orders placed and acknowledged per second through the full placement path.

The path per order: slippage estimate (book walk), intent row + ``initialized`` event committed, ``submitted``
committed, one ``create_order``, the venue's answer folded into events, order row + fills + position + cash
committed (SQLite file ledger: WAL, ``synchronous=FULL``, as ``make run`` uses it).

* ``execution.orders_per_s``: on the paper broker over the simulated venue, as ``make run`` trades (its wallet
  JSON is rewritten atomically with fsync after every order), routing off;
* ``execution.orders_per_s.sim_exchange``: the same path on the in-memory ``SimExchange`` (our side's cost);
* ``execution.orders_per_s.routed``: paper brokers on both sim venues with smart routing on (books and balances
  of both venues read per order);
* ``execution.lookups_per_s``: ``recover_unresolved`` over working (resting limit) orders, by client id.

Each figure is the best of ``repeats`` runs on a fresh ledger (minimum wall time).
"""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.records import record
from tradepipe.adapters.storage.database import make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.venues.paper_broker import PaperBroker
from tradepipe.adapters.venues.sim_exchange import default_sim_venues
from tradepipe.clock import SimClock
from tradepipe.core.execution import ExecutionPolicy, Pacer, execute_intents, recover_unresolved
from tradepipe.core.execution.ids import client_order_id
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side

AS_OF_MS = 1_767_225_600_000 + 700 * 3_600_000
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT", "DOGE/USDT", "ADA/USDT", "LINK/USDT"]
NOTIONAL = 50.0  # USDT per order


def _intents(
    run_id: str, venue: str, prices: dict[str, float], count: int, *, limit_below: bool = False
) -> list[OrderIntent]:
    out = []
    for i in range(count):
        symbol = SYMBOLS[i % len(SYMBOLS)]
        price = prices[symbol]
        amount = Decimal(str(round(NOTIONAL / price, 6 if price > 1 else 1)))
        out.append(
            OrderIntent(
                client_order_id=client_order_id(run_id, venue, symbol, "buy", i),
                run_id=run_id,
                venue=venue,
                symbol=symbol,
                side=Side.BUY,
                amount=amount,
                order_type=OrderType.LIMIT if limit_below else OrderType.MARKET,
                purpose=IntentPurpose.ENTRY,
                reference_price=Decimal(str(price)),
                limit_price=Decimal(str(round(price * 0.5, 8))) if limit_below else None,
            )
        )
    return out


def _ledger(root: Path) -> Ledger:
    engine = make_engine(f"sqlite:///{root / 'ledger.db'}")
    migrate(engine)
    ledger = Ledger(engine)
    ledger.start_run("bench", as_of_ms=AS_OF_MS, mode="paper", seed=7)
    return ledger


def _gateways(root: Path, paper: bool) -> dict[str, VenueGateway]:
    clock = SimClock(AS_OF_MS)
    venues = default_sim_venues(7, clock)
    for venue in venues.values():
        venue.account.state.balances["USDT"] = Decimal(10_000_000)
    if not paper:
        return dict(venues)
    cash = {"USDT": 10_000_000.0}
    return {n: PaperBroker(v, root / f"{n}.json", clock, starting_cash=cash) for n, v in venues.items()}


def _prices(gateway: VenueGateway) -> dict[str, float]:
    return {s: float(t["last"]) for s, t in gateway.fetch_tickers(SYMBOLS).items()}


def _place(count: int, *, paper: bool, routing: bool) -> float:
    """Seconds to place and record ``count`` market orders on a fresh ledger."""
    with tempfile.TemporaryDirectory(prefix="tp-bench-exec-") as tmp:
        root = Path(tmp)
        ledger, gateways = _ledger(root), _gateways(root, paper)
        policy = ExecutionPolicy(routing="best" if routing else "off")
        pacer = Pacer(policy)
        intents = _intents("bench", "sim-alpha", _prices(gateways["sim-alpha"]), count)
        started = time.perf_counter()
        report = execute_intents(intents, gateways, ledger, policy=policy, pacer=pacer)
        seconds = time.perf_counter() - started
        if len(report.placed) < count:
            raise RuntimeError(f"only {len(report.placed)} of {count} orders placed: {report.rejected[:3]}")
        ledger.engine.dispose()
        return seconds


def _lookups(count: int) -> float:
    """Seconds for one recovery pass over ``count`` working limit orders."""
    with tempfile.TemporaryDirectory(prefix="tp-bench-exec-") as tmp:
        root = Path(tmp)
        ledger, gateways = _ledger(root), _gateways(root, paper=False)
        policy = ExecutionPolicy(routing="off")
        intents = _intents("bench", "sim-alpha", _prices(gateways["sim-alpha"]), count, limit_below=True)
        execute_intents(intents, gateways, ledger, policy=policy, pacer=Pacer(policy))
        started = time.perf_counter()
        recover_unresolved(gateways, ledger, pacer=Pacer(policy))
        seconds = time.perf_counter() - started
        ledger.engine.dispose()
        return seconds


def run(quick: bool) -> list[dict[str, Any]]:
    count, repeats = (20, 1) if quick else (200, 2)
    params = {"orders": count, "ledger": "sqlite-file", "repeats": repeats}
    paper = min(_place(count, paper=True, routing=False) for _ in range(repeats))
    sim = min(_place(count, paper=False, routing=False) for _ in range(repeats))
    routed = min(_place(count, paper=True, routing=True) for _ in range(repeats))
    lookups = min(_lookups(count) for _ in range(repeats))
    return [
        record("execution.orders_per_s", count / paper, "orders/s", True, venue="paper broker over sim", **params),
        record("execution.orders_per_s.sim_exchange", count / sim, "orders/s", True, venue="sim exchange", **params),
        record("execution.orders_per_s.routed", count / routed, "orders/s", True, venue="2 paper venues", **params),
        record("execution.lookups_per_s", count / lookups, "lookups/s", True, venue="sim exchange", **params),
    ]
