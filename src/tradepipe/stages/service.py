"""Runs that are not trading cycles (a reconcile flow, an emergency stop): their run row, opened and closed.

They happen at the ledger's current sim time (the last cycle's), so the next cycle continues unchanged.
"""

from __future__ import annotations

from typing import Any

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.money import to_decimal


def open_service_run(settings: Settings, run_id: str, mode: str) -> CycleContext:
    ledger = wiring.ledger(settings)
    as_of = ledger.last_as_of_ms() or wiring.first_as_of_ms(settings)
    cycle = ledger.open_service_run(run_id, mode=mode, seed=settings.seed, as_of_ms=as_of)
    for venue in settings.sim.venues:  # as a cycle would: a new ledger starts with the wallets' starting cash
        ledger.fund(venue, settings.paper.quote, to_decimal(settings.paper.starting_cash))
    return CycleContext(run_id=run_id, cycle=cycle, as_of_ms=as_of)


def finish_service_run(settings: Settings, ctx: CycleContext, summary: dict[str, Any], *, failed: bool = False) -> None:
    wiring.ledger(settings).finish_run(
        ctx.run_id, status="failed" if failed else "completed", equity=None, summary=summary
    )
