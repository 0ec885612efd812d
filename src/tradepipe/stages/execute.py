"""Stage 6: recover what earlier runs left unknown, then place this cycle's entries once each."""

from __future__ import annotations

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import execution, risk
from tradepipe.domain.cycle import CycleContext
from tradepipe.stages.timing import timed_stage


def execute(settings: Settings, ctx: CycleContext, outcome: risk.SizingOutcome) -> execution.ExecutionReport:
    """First resolve what earlier runs left unknown (by lookup), then place this cycle's entries once each."""
    with timed_stage(settings, ctx, "execute"):
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        ledger = wiring.ledger(settings)
        recovered = execution.recover_unresolved(gateways, ledger)
        report = execution.execute_intents(outcome.intents, gateways, ledger)
        report.recovered, report.abandoned = recovered.recovered, recovered.abandoned
        report.new_fills += recovered.new_fills
        return report
