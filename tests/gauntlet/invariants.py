"""The promises every gauntlet checks, read from the files alone: the ledger against the venues' paper wallets.

``problems(state)`` returns one line per broken promise (empty = all held):

- 0 duplicate sends: no client order id reaches a venue twice (the wallets accept a reused id, so one would show);
  every venue order has an intent;
- 0 lost fills: every venue trade is a ledger fill with its amount and price, and no ledger fill is a phantom;
- fills sum to the order's filled quantity, and the event log replays through the state table to the row;
- every order is terminal (and not open at the venue) or legitimately open (open at the venue, same fills);
  with ``settled=False`` (mid-soak) an order still being resolved (``unknown``, ``submitted``) is tolerated;
- ledger cash and positions equal the wallets; no balance, cash or position is negative.

``equity_problems(summary)`` checks cash + marked positions = equity on a cycle summary.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradepipe.adapters.storage.database import make_engine
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.core.execution.states import apply
from tradepipe.domain.orders import TERMINAL_STATUSES, EventKind, OrderStatus, TrackedOrder

TOLERANCE = Decimal("1e-6")  # wallet Decimals vs ledger values that passed through ccxt-style floats
KNOWN_OPEN = {OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED}
RESOLVING = {OrderStatus.UNKNOWN, OrderStatus.SUBMITTED, OrderStatus.CANCEL_PENDING}


def wallets(state: Path) -> dict[str, dict[str, Any]]:
    """Venue name -> the paper wallet's account (balances, orders, trades)."""
    return {p.stem: json.loads(p.read_text())["account"] for p in sorted((state / "paper").glob("*.json"))}


def problems(state: Path, ledger_url: str | None = None, *, settled: bool = True) -> list[str]:
    """Everything wrong between the ledger and the wallets in ``state`` (empty = every promise held)."""
    ledger = Ledger(make_engine(ledger_url or f"sqlite:///{state / 'ledger.db'}"))
    try:
        tracked = {o.client_order_id: o for o in all_tracked(ledger)}
        fills = {(f.venue, f.trade_id): f for f in ledger.fills()}
        cash, positions = ledger.cash(), {(p.venue, p.symbol): p.amount for p in ledger.open_positions()}
        found = [line for order in tracked.values() for line in replay(ledger, order)]
    finally:
        ledger.engine.dispose()
    found += fill_sum_problems(tracked, fills.values())
    found += [f"ledger cash {k} is negative: {v}" for k, v in cash.items() if v < -TOLERANCE]
    found += [f"ledger position {k} is negative: {v}" for k, v in positions.items() if v < -TOLERANCE]
    venue_trades: set[tuple[str, str]] = set()
    for venue, account in wallets(state).items():
        found += _venue_problems(venue, account, tracked, fills, settled)
        venue_trades |= {(venue, trade["id"]) for trade in account["trades"]}
        balances = {k: Decimal(v) for k, v in account["balances"].items()}
        found += [f"{venue}: wallet {a} is negative: {v}" for a, v in balances.items() if v < -TOLERANCE]
        if abs(cash.get((venue, "USDT"), Decimal(0)) - balances.get("USDT", Decimal(0))) > TOLERANCE:
            found.append(f"{venue}: ledger cash {cash.get((venue, 'USDT'))} vs wallet {balances.get('USDT')}")
        for asset, amount in balances.items():
            held = positions.get((venue, f"{asset}/USDT"), Decimal(0))
            if asset != "USDT" and abs(held - amount) > TOLERANCE:
                found.append(f"{venue}: position {asset} {held} vs wallet {amount}")
    found += [f"phantom fill {k}" for k in fills if k not in venue_trades]
    return found


def _venue_problems(
    venue: str, account: dict[str, Any], tracked: dict[str, TrackedOrder], fills: dict[Any, Any], settled: bool
) -> list[str]:
    found: list[str] = []
    per_client = Counter(o["client_order_id"] for o in account["orders"])
    found += [f"{venue}: client id {c} sent {n} times" for c, n in per_client.items() if n > 1]
    orders_by_client = {o["client_order_id"]: o for o in account["orders"]}
    found += [f"{venue}: venue order {c} has no intent" for c in orders_by_client if c not in tracked]
    for trade in account["trades"]:
        mine = fills.get((venue, trade["id"]))
        if mine is None:
            found.append(f"{venue}: trade {trade['id']} of {trade['client_order_id']} lost")
        elif (
            abs(mine.amount - Decimal(trade["amount"])) > TOLERANCE
            or abs(mine.price - Decimal(trade["price"])) > TOLERANCE
        ):
            found.append(f"{venue}: trade {trade['id']} recorded as {mine.amount}@{mine.price}")
    for cid, order in tracked.items():
        if order.intent.venue == venue:
            found += state_problems(order, orders_by_client.get(cid), settled=settled)
    return found


def all_tracked(ledger: Ledger) -> list[TrackedOrder]:
    with ledger.engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("select client_order_id from order_intents")]
    return [o for cid in ids if (o := ledger.tracked(cid)) is not None]


def replay(ledger: Ledger, order: TrackedOrder) -> list[str]:
    """The stored events must replay through the table to the stored status, starting from INITIALIZED."""
    events = ledger.order_events(order.client_order_id)
    if not events or events[0].kind is not EventKind.INITIALIZED:
        return [f"{order.client_order_id}: event log does not start with 'initialized'"]
    state = TrackedOrder(intent=order.intent, status=OrderStatus.INITIALIZED)
    try:
        for event in events[1:]:
            state = apply(state, event)
    except Exception as exc:  # reported as a finding
        return [f"{order.client_order_id}: event log does not replay: {exc}"]
    if state.status is not order.status or state.filled != order.filled:
        return [
            f"{order.client_order_id}: events end at {state.status}/{state.filled}, row {order.status}/{order.filled}"
        ]
    return []


def fill_sum_problems(tracked: dict[str, TrackedOrder], fills: Any) -> list[str]:
    """The ledger's fills of each order add up to the order's filled quantity."""
    summed: dict[str, Decimal] = defaultdict(Decimal)
    for fill in fills:
        summed[fill.client_order_id] += fill.amount
    found = [f"fills of unknown order {cid}" for cid in summed if cid not in tracked]
    for cid, order in tracked.items():
        if abs(summed.get(cid, Decimal(0)) - order.filled) > TOLERANCE:
            found.append(f"{cid}: fills sum to {summed.get(cid, Decimal(0))}, order filled {order.filled}")
    return found


def state_problems(order: TrackedOrder, at_venue: dict[str, Any] | None, *, settled: bool = True) -> list[str]:
    cid, status = order.client_order_id, order.status
    if status in TERMINAL_STATUSES:
        if at_venue is not None and at_venue["status"] == "open":
            return [f"{cid}: {status} in the ledger but open at the venue"]
        if at_venue is None and order.filled > 0:
            return [f"{cid}: fills but no venue order"]
        return []
    if not settled and status in RESOLVING:
        return []
    if status not in KNOWN_OPEN:
        return [f"{cid}: left in {status} ({order.reason})"]
    if at_venue is None or at_venue["status"] != "open":
        return [f"{cid}: {status} in the ledger, {at_venue and at_venue['status']} at the venue"]
    if Decimal(at_venue["filled"]) != order.filled:
        return [f"{cid}: filled {order.filled} in the ledger, {at_venue['filled']} at the venue"]
    return []


def equity_problems(summary: dict[str, Any]) -> list[str]:
    """Cash + marked positions = equity (marks are shown to 6 significant digits, hence the per-position cent)."""
    marked = sum((Decimal(p["amount"]) * Decimal(p["mark"]) for p in summary["open_positions"]), Decimal(0))
    gap = abs(Decimal(summary["cash"]) + marked - Decimal(summary["equity"]))
    if gap >= Decimal("0.01") * (1 + len(summary["open_positions"])):
        return [f"cycle {summary['cycle']}: cash {summary['cash']} + positions {marked} != equity {summary['equity']}"]
    return []
