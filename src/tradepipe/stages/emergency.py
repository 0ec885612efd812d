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
from tradepipe.core import execution, venue_mapping
from tradepipe.core.ports import VenueGateway
from tradepipe.core.positions.emergency import CancelReport, cancel_open_orders, close_intents
from tradepipe.domain.cycle import CycleContext
from tradepipe.stages.marks import mark_prices
from tradepipe.stages.timing import timed_stage

log = logging.getLogger(__name__)


def halt_entries(settings: Settings, ctx: CycleContext, reason: str) -> int:
    """Persist the halt flag: the size stage denies every entry until ``tradepipe resume``."""
    with timed_stage(settings, ctx, "halt"):
        halt_id = wiring.ledger(settings).set_halt(reason, source="emergency_stop")
        log.warning("emergency stop: new entries halted (%s)", reason)
        return halt_id


def cancel_orders(
    settings: Settings, ctx: CycleContext, gateways: Mapping[str, VenueGateway] | None = None
) -> CancelReport:
    """Cancel every open order on every venue; the ledger records each cancel it knows the client id of."""
    with timed_stage(settings, ctx, "cancel"):
        gateways = gateways or wiring.gateways(settings, ctx.as_of_ms)
        report = cancel_open_orders(gateways)
        ledger = wiring.ledger(settings)  # the account this install trades (settings.mode)
        for raw in report.canceled:
            cid = str(raw.get("clientOrderId") or "")
            if cid and ledger.intent(cid) is not None:
                ledger.record_order(venue_mapping.order(str(raw["venue"]), raw, cid, list(raw.get("trades") or [])))
        return report


def close_positions(
    settings: Settings, ctx: CycleContext, gateways: Mapping[str, VenueGateway] | None = None
) -> execution.ExecutionReport:
    """Sell every open position at market through the normal (idempotent) placement path."""
    with timed_stage(settings, ctx, "close"):
        gateways = gateways or wiring.gateways(settings, ctx.as_of_ms)
        ledger = wiring.ledger(settings)  # the account this install trades (settings.mode)
        positions = ledger.open_positions()
        intents = close_intents(positions, mark_prices(gateways, positions), run_id=ctx.run_id)
        return execution.execute_intents(intents, gateways, ledger)


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
