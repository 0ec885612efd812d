"""Stage 7: manage open positions (exits)."""

from __future__ import annotations

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import execution
from tradepipe.core.positions.exits import exit_intents
from tradepipe.domain.cycle import CycleContext
from tradepipe.stages.marks import mark_prices
from tradepipe.stages.timing import timed_stage


def manage(settings: Settings, ctx: CycleContext) -> execution.ExecutionReport:
    """Stop-loss and take-profit exits for open positions at the latest marks."""
    with timed_stage(settings, ctx, "manage"):
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        ledger = wiring.ledger(settings)
        positions = ledger.open_positions()
        intents = exit_intents(positions, mark_prices(gateways, positions), run_id=ctx.run_id)
        return execution.execute_intents(intents, gateways, ledger)
