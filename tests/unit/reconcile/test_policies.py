"""Pure parts of reconciliation: statuses, stored rows, the rebuild check and imported client ids."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tradepipe.core.positions.accounting import apply_fill
from tradepipe.core.reconcile import Diff, ReconciliationResult, overall_status, rebuild_check
from tradepipe.core.reconcile.policies import imported_client_id
from tradepipe.domain.orders import Fill, Side

D = Decimal


def fills() -> list[Fill]:
    return [
        Fill("v", "t1", "o1", "c1", "ABC/USDT", Side.BUY, D("2"), D("10"), D("0.02"), "USDT", 1),
        Fill("v", "t2", "o2", "c2", "ABC/USDT", Side.SELL, D("0.5"), D("12"), D("0.006"), "USDT", 2),
    ]


def test_status_is_clean_resolved_or_mismatch() -> None:
    imported = Diff("missing_fill", "ABC", D(0), D(1), "imported")
    halted = Diff("cash_drift", "USDT", D(10), D(9), "halted")
    assert ReconciliationResult("v", "paper_wallet", ()).status == "clean"
    assert ReconciliationResult("v", "paper_wallet", (imported,)).status == "resolved"
    assert ReconciliationResult("v", "paper_wallet", (imported, halted)).status == "mismatch"
    results = [ReconciliationResult("v", "w", ()), ReconciliationResult("v", "w", (imported,))]
    assert overall_status(results) == "resolved"
    assert overall_status([*results, ReconciliationResult("v", "w", (halted,))]) == "mismatch"
    assert overall_status([]) == "clean"


def test_a_diff_row_carries_expected_actual_delta_and_resolution() -> None:
    row = Diff("cash_drift", "USDT", D("10"), D("9.5"), "halted", detail="x").row()
    assert (row["expected"], row["actual"], row["delta"], row["resolution"]) == (D("10"), D("9.5"), D("-0.5"), "halted")


def test_rebuild_check_finds_and_fixes_a_stored_position_that_disagrees_with_its_fills() -> None:
    stored = None
    for f in fills():
        stored, _ = apply_fill(stored, f)
    assert stored is not None
    assert rebuild_check([stored], fills(), "average") == ([], [])
    broken = replace(stored, amount=D("1.4"))
    diffs, rebuilt = rebuild_check([broken], fills(), "average")
    (diff,) = diffs
    assert (diff.kind, diff.expected, diff.actual, diff.resolution) == (
        "position_rebuild",
        D("1.4"),
        D("1.5"),
        "rebuilt",
    )
    assert rebuilt == [stored]
    diffs, rebuilt = rebuild_check([stored], fills(), "fifo")  # switching the cost method rebuilds the lots
    assert [d.kind for d in diffs] == ["position_rebuild"] and rebuilt[0].lots


def test_imported_client_ids_are_deterministic_and_per_account() -> None:
    a = imported_client_id("paper", "v", "t1")
    assert a == imported_client_id("paper", "v", "t1") and a.startswith("rec") and len(a) == 32
    assert a != imported_client_id("live", "v", "t1") != imported_client_id("paper", "v", "t2")
