"""Crash harness: the execute stage SIGKILLed in a real subprocess at drawn points, then recovered.

``crash_driver.py`` (one warm interpreter, a fork per run) kills the stage before commits, after a commit
before the send, after the venue took an order before we saw the ack, between fills of one transaction, and
during cancels; then reruns it. Here, from the files alone (SQLite ledger, paper wallet JSON), we check:
0 duplicate venue orders, 0 lost (or phantom) fills, every order terminal or known (working at the venue with
the same fills), every event log replays through the state table, and ledger cash/positions equal the wallets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradepipe.adapters.storage.database import make_engine
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.core.execution.states import apply
from tradepipe.domain.orders import TERMINAL_STATUSES, EventKind, OrderStatus, TrackedOrder

DRIVER = Path(__file__).with_name("crash_driver.py")
VENUES = ("sim-alpha", "sim-beta")
TOLERANCE = Decimal("1e-6")  # wallet Decimals vs ledger values that passed through ccxt-style floats
KNOWN_OPEN = {OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED}


def run_harness(root: Path, kills: int, seed: int, **options: Any) -> list[dict[str, Any]]:
    plan = root / "plan.json"
    plan.write_text(json.dumps({"root": str(root), "kills": kills, "seed": seed, **options}))
    done = subprocess.run([sys.executable, str(DRIVER), str(plan)], capture_output=True, text=True, timeout=1_200)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in (root / "results.jsonl").read_text().splitlines()]
    results[0]["stderr"] = done.stderr[-3000:]  # child errors, shown when a recovery fails
    return results


def wallet(state: Path, venue: str) -> dict[str, Any]:
    return json.loads((state / "paper" / f"{venue}.json").read_text())["account"]


def problems(state: Path) -> list[str]:
    """Everything wrong with one recovered scenario (empty = the promise held)."""
    found: list[str] = []
    ledger = Ledger(make_engine(f"sqlite:///{state / 'ledger.db'}"))
    try:
        tracked = {o.client_order_id: o for o in _all_tracked(ledger)}
        fills = {(f.venue, f.trade_id): f for f in ledger.fills()}
        cash, positions = ledger.cash(), {(p.venue, p.symbol): p.amount for p in ledger.open_positions()}
        for order in tracked.values():
            found += _replay(ledger, order)
    finally:
        ledger.engine.dispose()
    venue_trades: set[tuple[str, str]] = set()
    for venue in VENUES:
        account = wallet(state, venue)
        per_client = Counter(o["client_order_id"] for o in account["orders"])
        found += [f"{venue}: client id {c} sent {n} times" for c, n in per_client.items() if n > 1]
        orders_by_client = {o["client_order_id"]: o for o in account["orders"]}
        found += [f"{venue}: venue order {c} has no intent" for c in orders_by_client if c not in tracked]
        for trade in account["trades"]:
            venue_trades.add((venue, trade["id"]))
            mine = fills.get((venue, trade["id"]))
            if mine is None:
                found.append(f"{venue}: trade {trade['id']} of {trade['client_order_id']} lost")
            elif (
                abs(mine.amount - Decimal(trade["amount"])) > TOLERANCE
                or abs(mine.price - Decimal(trade["price"])) > TOLERANCE
            ):
                found.append(f"{venue}: trade {trade['id']} recorded as {mine.amount}@{mine.price}")
        for cid, order in tracked.items():
            if order.intent.venue != venue:
                continue
            found += _state_problems(order, orders_by_client.get(cid))
        balances = {k: Decimal(v) for k, v in account["balances"].items()}
        if abs(cash.get((venue, "USDT"), Decimal(0)) - balances.get("USDT", Decimal(0))) > TOLERANCE:
            found.append(f"{venue}: ledger cash {cash.get((venue, 'USDT'))} vs wallet {balances.get('USDT')}")
        for asset, amount in balances.items():
            if asset != "USDT" and abs(positions.get((venue, f"{asset}/USDT"), Decimal(0)) - amount) > TOLERANCE:
                found.append(f"{venue}: position {asset} {positions.get((venue, f'{asset}/USDT'))} vs wallet {amount}")
    found += [f"phantom fill {k}" for k in fills if k not in venue_trades]
    return found


def _all_tracked(ledger: Ledger) -> list[TrackedOrder]:
    with ledger.engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("select client_order_id from order_intents")]
    return [o for cid in ids if (o := ledger.tracked(cid)) is not None]


def _replay(ledger: Ledger, order: TrackedOrder) -> list[str]:
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


def _state_problems(order: TrackedOrder, at_venue: dict[str, Any] | None) -> list[str]:
    cid, status = order.client_order_id, order.status
    if status in TERMINAL_STATUSES:
        if at_venue is not None and at_venue["status"] == "open":
            return [f"{cid}: {status} in the ledger but open at the venue"]
        if at_venue is None and order.filled > 0:
            return [f"{cid}: fills but no venue order"]
        return []
    if status not in KNOWN_OPEN:
        return [f"{cid}: left in {status} ({order.reason})"]
    if at_venue is None or at_venue["status"] != "open":
        return [f"{cid}: {status} in the ledger, {at_venue and at_venue['status']} at the venue"]
    if Decimal(at_venue["filled"]) != order.filled:
        return [f"{cid}: filled {order.filled} in the ledger, {at_venue['filled']} at the venue"]
    return []


def check(results: list[dict[str, Any]], root: Path, kills: int) -> None:
    dry, scenarios = results[0], results[1:]
    assert dry["crash"] == "exit 0" and len(scenarios) == kills
    assert {"journal.intent_committed", "journal.before_commit", "journal.committed"} <= set(dry["reached"])
    assert {"journal.fill_inserted", "venue.before_save", "venue.after_save"} <= set(dry["reached"])
    assert not problems(root / "dry")
    report = {}
    for sc in scenarios:
        assert sc["recovery"] == "exit 0", (sc, dry["stderr"])
        if "point2" not in sc:
            assert sc["crash"] == "killed", sc  # the drawn point was reached: the process really died there
        report[sc["name"]] = problems(root / sc["name"])
    bad = {name: p for name, p in report.items() if p}
    assert not bad, json.dumps(bad, indent=1)[:4000]


@pytest.mark.timeout(240)
def test_twenty_kill_points_lose_nothing_and_send_nothing_twice(tmp_path: Path) -> None:
    results = run_harness(tmp_path, kills=20, seed=1)
    check(results, tmp_path, 20)
    points = {sc["point"] for sc in results[1:]}
    assert len(points) == 6  # every kind of point was hit at least once


FILL_KILLS = ("venue.after_save", "journal.fill_inserted")  # the venue filled it, the ledger did not hear


@pytest.mark.timeout(240)
def test_fills_imported_by_reconcile_after_a_kill_move_the_order_to_filled(tmp_path: Path) -> None:
    """Killed once the venue has filled an order, restarted, reconciled first: the fills are imported and the
    order follows them (FILLED through the state table, as events); none is left working at the ledger."""
    kills = 10
    results = run_harness(tmp_path, kills=kills, seed=3, points=list(FILL_KILLS), recovery="reconcile")
    assert {sc["point"] for sc in results[1:]} == set(FILL_KILLS)
    check(results, tmp_path, kills)
    for sc in results[1:]:
        ledger = Ledger(make_engine(f"sqlite:///{tmp_path / sc['name'] / 'ledger.db'}"))
        try:
            for order in _all_tracked(ledger):
                if order.filled >= order.intent.amount:
                    assert order.status is OrderStatus.FILLED, (sc, order.client_order_id, order.status)
        finally:
            ledger.engine.dispose()


@pytest.mark.slow
@pytest.mark.timeout(1_800)
def test_two_hundred_kill_points_including_crashes_during_recovery(tmp_path: Path) -> None:
    results = run_harness(tmp_path, kills=200, seed=2)
    check(results, tmp_path, 200)
    assert any("point2" in sc and sc["crash2"] == "killed" for sc in results[1:])
