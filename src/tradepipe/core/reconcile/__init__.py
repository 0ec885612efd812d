"""Stage 8: reconcile the ledger (the single source of truth) with wallets."""

from tradepipe.core.reconcile.compare import (
    HALTED,
    BalanceDiff,
    Diff,
    ReconciliationResult,
    compare_balances,
    overall_status,
    position_differences,
    rebuild_positions,
)
from tradepipe.core.reconcile.policies import ReconcilePolicy, rebuild_check, reconcile_venue

__all__ = [
    "HALTED",
    "BalanceDiff",
    "Diff",
    "ReconcilePolicy",
    "ReconciliationResult",
    "compare_balances",
    "overall_status",
    "position_differences",
    "rebuild_check",
    "rebuild_positions",
    "reconcile_venue",
]
