"""Opening a cycle: migrate, pick the sim time, register the run, fund a new ledger."""

from __future__ import annotations

from tradepipe import wiring
from tradepipe.clock import timeframe_ms
from tradepipe.config import Settings
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.money import to_decimal


def open_cycle(settings: Settings, run_id: str) -> CycleContext:
    """The next cycle continues from the ledger: one bar after the last run's sim time."""
    ledger = wiring.ledger(settings)
    last = ledger.last_as_of_ms()
    as_of = wiring.first_as_of_ms(settings) if last is None else last + timeframe_ms(settings.marketdata.timeframe)
    cycle = ledger.start_run(run_id, as_of_ms=as_of, mode=settings.mode, seed=settings.seed)
    for venue in settings.sim.venues:
        ledger.fund(venue, settings.paper.quote, to_decimal(settings.paper.starting_cash))
    return CycleContext(run_id=run_id, cycle=cycle, as_of_ms=as_of)
