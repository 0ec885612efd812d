"""Stage 6: recover what earlier runs left open or unknown, then place this cycle's entries once each."""

from __future__ import annotations

import time

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import execution, risk
from tradepipe.domain.cycle import CycleContext
from tradepipe.stages.timing import timed_stage


def execution_policy(settings: Settings) -> execution.ExecutionPolicy:
    """The ``[execution]`` settings as the core's policy record (manage and emergency stop use it too)."""
    e = settings.execution
    return execution.ExecutionPolicy(
        read_attempts=e.read_attempts,
        read_backoff_s=e.read_backoff_s,
        rate_limit_backoff_s=e.rate_limit_backoff_s,
        rate_limit_max_backoff_s=e.rate_limit_max_backoff_s,
        rate_limit_rounds=e.rate_limit_rounds,
        max_slippage_bps=e.max_slippage_bps,
        slippage_action=e.slippage_action,
        routing=e.routing,
        resize_on_insufficient_funds=e.resize_on_insufficient_funds,
        not_found_grace_s=e.not_found_grace_s,
    )


def execute(settings: Settings, ctx: CycleContext, outcome: risk.SizingOutcome) -> execution.ExecutionReport:
    """First bring earlier orders up to date (lookup only), then place this cycle's entries (guarded, routed)."""
    with timed_stage(settings, ctx, "execute"):
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        ledger = wiring.ledger(settings)
        policy = execution_policy(settings)
        pacer = execution.Pacer(policy)
        recovered = execution.recover_unresolved(gateways, ledger, pacer=pacer, now_ms=int(time.time() * 1000))
        held = frozenset((p.venue, p.symbol) for p in ledger.open_positions())
        report = execution.execute_intents(outcome.intents, gateways, ledger, policy=policy, pacer=pacer, avoid=held)
        report.recovered, report.abandoned = recovered.recovered, recovered.abandoned
        report.new_fills += recovered.new_fills
        return report
