"""Reconcile on its own (outside a trading cycle): every account's wallets against the ledger, every diff stored."""

from __future__ import annotations

import uuid

from prefect import flow

from tasks import positions
from tradepipe.config import Settings, load_settings
from tradepipe.core import reconcile as rec


@flow(name="reconcile", log_prints=False)
def reconcile(settings: Settings | None = None, account: str | None = None) -> list[rec.ReconciliationResult]:
    settings = settings or load_settings()
    ctx = positions.open_run(settings, f"rec-{uuid.uuid4().hex[:12]}", "reconcile")
    results = positions.reconcile_accounts(settings, ctx, account)
    summary = {f"{r.account}/{r.venue}": f"{r.status} ({len(r.diffs)} diffs)" for r in results}
    positions.finish_run(settings, ctx, {"status": rec.overall_status(results), **summary}, "Reconciliation")
    return results
