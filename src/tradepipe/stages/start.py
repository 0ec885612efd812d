"""Opening a cycle: take the ledger's run lock, migrate, pick the sim time, register the run, fund a new ledger."""

from __future__ import annotations

from tradepipe import wiring
from tradepipe.adapters.storage.run_lock import RUN_LOCKS
from tradepipe.clock import timeframe_ms
from tradepipe.config import Settings
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.money import to_decimal
from tradepipe.errors import ConfigurationError


def open_cycle(settings: Settings, run_id: str) -> CycleContext:
    """The next cycle continues from the ledger: one bar after the last run's sim time.

    The run lock comes first, before anything is written (``RunLocked`` when another live run holds it); held,
    it proves that runs left ``running`` have no live holder, so ``start_run`` marks them crashed.
    The lock is released when the run ends (report, or the flow's failure hook).
    """
    RUN_LOCKS.take(settings.ledger_url)
    try:
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
    except BaseException:
        RUN_LOCKS.end_run(settings.ledger_url)  # no run was opened: let the next one in
        raise
    RUN_LOCKS.bind(settings.ledger_url, run_id)
    for venue in settings.sim.venues:
        ledger.fund(venue, settings.paper.quote, to_decimal(settings.paper.starting_cash))
    return CycleContext(run_id=run_id, cycle=cycle, as_of_ms=as_of)
