"""Crash harness: the execute stage SIGKILLed in a real subprocess at drawn points, then recovered.

``crash_driver.py`` (one warm interpreter, a fork per run) kills the stage before commits, after a commit
before the send, after the venue took an order before we saw the ack, between fills of one transaction, and
during cancels; then reruns it. Here, from the files alone (SQLite ledger, paper wallet JSON), we check:
0 duplicate venue orders, 0 lost (or phantom) fills, every order terminal or known (working at the venue with
the same fills), every event log replays through the state table, and ledger cash/positions equal the wallets
(the checks live in ``tests/gauntlet/invariants.py``, shared with the soak and the kill gauntlet).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.gauntlet.invariants import all_tracked, problems
from tradepipe.adapters.storage.database import make_engine
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.domain.orders import OrderStatus

DRIVER = Path(__file__).with_name("crash_driver.py")


def run_harness(root: Path, kills: int, seed: int, **options: Any) -> list[dict[str, Any]]:
    plan = root / "plan.json"
    plan.write_text(json.dumps({"root": str(root), "kills": kills, "seed": seed, **options}))
    done = subprocess.run([sys.executable, str(DRIVER), str(plan)], capture_output=True, text=True, timeout=1_200)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in (root / "results.jsonl").read_text().splitlines()]
    results[0]["stderr"] = done.stderr[-3000:]  # child errors, shown when a recovery fails
    return results


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
    assert points == set(results[0]["reached"])  # every kind of point was hit at least once


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
            for order in all_tracked(ledger):
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
