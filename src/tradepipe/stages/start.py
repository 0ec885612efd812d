"""Opening a cycle: migrate, pick the sim time, register the run, fund a new ledger."""

from __future__ import annotations

from tradepipe import wiring
from tradepipe.clock import timeframe_ms
from tradepipe.config import Settings
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.money import to_decimal
from tradepipe.errors import ConfigurationError


def open_cycle(settings: Settings, run_id: str) -> CycleContext:
    """The next cycle continues from the ledger: one bar after the last run's sim time."""
    ledger = wiring.ledger(settings)
    seeds = ledger.run_seeds()
    if seeds and settings.seed not in seeds:
        raise ConfigurationError(
            f"seed: the ledger in {settings.state_dir} belongs to the market with seed {sorted(seeds)[0]}, "
            f"not {settings.seed}; use that seed or another state_dir"
        )
    last = ledger.last_as_of_ms()
    as_of = wiring.first_as_of_ms(settings) if last is None else last + timeframe_ms(settings.marketdata.timeframe)
    cycle = ledger.start_run(run_id, as_of_ms=as_of, mode=settings.mode, seed=settings.seed)
    for venue in settings.sim.venues:
        ledger.fund(venue, settings.paper.quote, to_decimal(settings.paper.starting_cash))
    return CycleContext(run_id=run_id, cycle=cycle, as_of_ms=as_of)
