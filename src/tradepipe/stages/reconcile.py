"""Stage 8: reconcile the ledger with each wallet; every difference is stored."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import reconcile as rec
from tradepipe.core.positions.accounting import base_and_quote
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.money import to_decimal
from tradepipe.stages.timing import timed_stage


def reconcile(settings: Settings, ctx: CycleContext) -> list[rec.ReconciliationResult]:
    """Ledger cash and positions vs each paper wallet; every difference is stored with its policy action."""
    with timed_stage(settings, ctx, "reconcile"):
        ledger = wiring.ledger(settings)
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        holdings: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for (venue, asset), amount in ledger.cash().items():
            holdings[venue][asset] = amount
        for position in ledger.open_positions():
            base, _ = base_and_quote(position.symbol)
            holdings[position.venue][base] = holdings[position.venue].get(base, Decimal(0)) + position.amount
        results = []
        for venue, gateway in gateways.items():
            wallet = {
                asset: to_decimal(float(total))
                for asset, total in gateway.fetch_balance().get("total", {}).items()
                if total
            }
            result = rec.compare_balances(venue, "paper_wallet", holdings[venue], wallet, quote=settings.paper.quote)
            diffs = [
                {
                    "kind": d.kind,
                    "asset": d.asset,
                    "ledger_value": d.ledger_value,
                    "counterparty_value": d.counterparty_value,
                    "action": d.action,
                }
                for d in result.diffs
            ]
            ledger.record_reconciliation(ctx.run_id, venue, result.counterparty, result.status, diffs)
            results.append(result)
        return results
