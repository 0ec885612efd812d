"""Stage 8: reconcile the ledger with every wallet of every account; every difference is stored.

The paper account is reconciled against its paper wallets (``PaperBroker``) and, when one is configured, the
live account against the venue itself — both against the same ledger tables, told apart by ``account``.
A mismatch (a difference no policy could resolve) stores a halt and logs an alert; entries stay halted
until a later reconciliation is clean and an operator runs ``tradepipe resume``. A venue that cannot be reached
leaves its reconciliation unresolved (entries wait for the next clean one) without the persisted halt.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradepipe import wiring
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.config import Settings
from tradepipe.core import reconcile as rec
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.money import to_decimal
from tradepipe.domain.portfolio import LIVE, PAPER
from tradepipe.errors import ConfigurationError, TransientVenueError
from tradepipe.stages.timing import timed_stage

log = logging.getLogger(__name__)
COUNTERPARTY = {PAPER: "paper_wallet", LIVE: "exchange"}
Accounts = Mapping[str, Mapping[str, VenueGateway]]


def reconcile(
    settings: Settings, ctx: CycleContext, accounts: Accounts | None = None
) -> list[rec.ReconciliationResult]:
    """Reconcile each account's venues (default: the paper wallets of this cycle's sim time)."""
    with timed_stage(settings, ctx, "reconcile"):
        return reconcile_accounts(settings, ctx.run_id, ctx.as_of_ms, accounts or default_accounts(settings, ctx))


def default_accounts(settings: Settings, ctx: CycleContext, only: str | None = None) -> Accounts:
    """The account this install trades (``mode``: paper or live) with its gateways from ``wiring``.

    Paper and live run side by side as two installs on one database: each reconciles its own account.
    """
    if only is not None and only != settings.mode:
        raise ConfigurationError(
            f"reconcile --account {only}: this config trades the {settings.mode} account; "
            f"use a config with mode = {only!r} (same database_url) to reconcile {only}"
        )
    return {settings.mode: wiring.gateways(settings, ctx.as_of_ms)}


def reconcile_accounts(
    settings: Settings, run_id: str, as_of_ms: int, accounts: Accounts
) -> list[rec.ReconciliationResult]:
    results = []
    policy = rec.ReconcilePolicy(
        quote=settings.paper.quote,
        tolerance=to_decimal(settings.reconcile.tolerance),
        grace=timedelta(seconds=settings.reconcile.grace_seconds),
        lookback_ms=int(settings.reconcile.trades_lookback_hours * 3_600_000),
    )
    for account, gateways in accounts.items():
        ledger = wiring.ledger(settings).for_account(account)
        for venue, gateway in gateways.items():
            rebuilt = _rebuild(ledger, venue, settings)
            counterparty = COUNTERPARTY.get(account, account)
            try:
                found = rec.reconcile_venue(
                    venue, gateway, ledger, policy, run_id=run_id, counterparty=counterparty, now_ms=as_of_ms,
                    wall_now=datetime.now(UTC),
                ).diffs  # fmt: skip
            except TransientVenueError as exc:  # unresolved (entries wait) but no halt flag: the next run retries
                log.warning("reconcile %s/%s: venue unreachable (%s)", account, venue, exc)
                found = (rec.Diff("unreachable", "-", Decimal(0), Decimal(0), rec.HALTED, detail=str(exc)),)
            result = rec.ReconciliationResult(venue, counterparty, (*rebuilt, *found), account)
            rows = [d.row() for d in result.diffs]
            ledger.record_reconciliation(run_id, venue, result.counterparty, result.status, rows)
            if any(not d.resolved and d.kind != "unreachable" for d in result.diffs):
                _halt(ledger, result)
            results.append(result)
    return results


def _rebuild(ledger: Ledger, venue: str, settings: Settings) -> list[rec.Diff]:
    """Positions rebuilt from fills must equal the materialised rows; a disagreement is rewritten and stored."""
    stored = [p for p in ledger.positions(include_closed=True) if p.venue == venue]
    fills = [f for f in ledger.fills() if f.venue == venue]
    diffs, rebuilt = rec.rebuild_check(stored, fills, settings.positions.cost_method)
    if rebuilt:
        ledger.replace_positions(rebuilt)
    return diffs


def _halt(ledger: Ledger, result: rec.ReconciliationResult) -> None:
    kinds = sorted({d.kind for d in result.diffs if not d.resolved})
    reason = f"reconciliation of {result.account} on {result.venue}: unresolved {', '.join(kinds)}"
    ledger.set_halt(reason, source="reconciliation")
    log.error("ALERT %s — new entries halted until a clean reconciliation and `tradepipe resume`", reason)
