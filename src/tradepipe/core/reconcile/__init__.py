"""Stage 8: reconcile the ledger (the single source of truth) with wallets."""

from tradepipe.core.reconcile.compare import BalanceDiff, ReconciliationResult, compare_balances, rebuild_positions

__all__ = ["BalanceDiff", "ReconciliationResult", "compare_balances", "rebuild_positions"]
