"""The emergency stop, step by step: halt entries, cancel every open order, close every position.

Each step is its own function (and Prefect task), so a failure in one leaves a record of how far it got;
the halt comes first and is persisted, so nothing new is opened while the rest runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import execution
from tradepipe.core.ports import VenueGateway
from tradepipe.core.positions.emergency import CancelReport, cancel_open_orders, close_intents
from tradepipe.domain.cycle import CycleContext
from tradepipe.stages.marks import mark_prices
from tradepipe.stages.timing import timed_stage

log = logging.getLogger(__name__)
CLOSE_ROUNDS = 3  # a close the venue rejected is sent again (new client id) up to this many times in all


def halt_entries(settings: Settings, ctx: CycleContext, reason: str) -> int:
    """Persist the halt flag: the size stage denies every entry until ``tradepipe resume``."""
    with timed_stage(settings, ctx, "halt"):
        halt_id = wiring.ledger(settings).set_halt(reason, source="emergency_stop")
        log.warning("emergency stop: new entries halted (%s)", reason)
        return halt_id


def cancel_orders(
    settings: Settings, ctx: CycleContext, gateways: Mapping[str, VenueGateway] | None = None
) -> CancelReport:
    """Cancel every order: the ledger's through execution (state machine, events), then sweep the venues for
    anything still listed (orders placed by hand, or whose cancel did not settle)."""
    with timed_stage(settings, ctx, "cancel"):
        gateways = gateways or wiring.gateways(settings, ctx.as_of_ms)
        ours = execution.cancel_all_open_orders(gateways, wiring.ledger(settings), reason="emergency stop")
        report = cancel_open_orders(gateways)
        report.canceled = [{"clientOrderId": cid} for cid in ours.canceled] + report.canceled
        return report


def close_positions(
    settings: Settings,
    ctx: CycleContext,
    gateways: Mapping[str, VenueGateway] | None = None,
    *,
    rounds: int = CLOSE_ROUNDS,
) -> execution.ExecutionReport:
    """Sell every open position at market through the normal (idempotent) placement path.

    A sell the venue *rejected* is sent again next round under a new client id (it never existed there); one
    whose outcome is unknown is not — execution's recovery looks it up, never resends.
    """
    with timed_stage(settings, ctx, "close"):
        gateways = gateways or wiring.gateways(settings, ctx.as_of_ms)
        ledger = wiring.ledger(settings)  # the account this install trades (settings.mode)
        report, pending, last = execution.ExecutionReport(), set[str](), execution.ExecutionReport()
        for attempt in range(rounds):
            positions = [p for p in ledger.open_positions() if f"{p.venue}|{p.symbol}" not in pending]
            if not positions:
                break
            intents = close_intents(positions, mark_prices(gateways, positions), run_id=ctx.run_id, attempt=attempt)
            last = execution.execute_intents(intents, gateways, ledger)
            by_id = {i.client_order_id: f"{i.venue}|{i.symbol}" for i in intents}
            pending |= {by_id[cid] for cid in last.unknown if cid in by_id}
            report.merge(last)
            if not (last.rejected or last.filled):
                break  # nothing moved: another round would not either
            if last.rejected:
                log.warning("emergency stop: close(s) rejected, sending again: %s", last.rejected)
        report.rejected = last.rejected if ledger.open_positions() else []  # only what is still open matters
        return report


def summary(
    cancels: CancelReport, closes: execution.ExecutionReport | None, halt_id: int, account: str
) -> dict[str, Any]:
    return {
        "halt_id": halt_id,
        "account": account,
        "canceled": len(cancels.canceled),
        "cancel_failed": [list(f) for f in cancels.failed],
        "still_open": [list(o) for o in cancels.still_open],
        "closed": [] if closes is None else closes.filled,
        "close_rejected": [] if closes is None else [list(r) for r in closes.rejected],
        "close_unknown": [] if closes is None else closes.unknown,
        "positions_left": closes is None,
    }
