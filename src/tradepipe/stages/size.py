"""Stage 5: size entries and check risk; every decision is stored with its outcome."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import risk
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.strategy import Decision, Denial, Direction
from tradepipe.stages import risk_facts
from tradepipe.stages.marks import mark_prices, market_rules, portfolio_state
from tradepipe.stages.timing import timed_stage


def size(
    settings: Settings,
    ctx: CycleContext,
    decisions: Sequence[Decision],
    quality_factor: Mapping[tuple[str, str], float],
    datasets: Sequence[str] = (),
) -> risk.SizingOutcome:
    """Entry intents for the best LONG decisions; every decision is stored with its outcome and reason."""
    with timed_stage(settings, ctx, "size"):
        ledger = wiring.ledger(settings)
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        positions = ledger.open_positions()
        marks = mark_prices(gateways, positions)
        state = risk_facts.with_protections(settings, ctx, portfolio_state(settings, positions, marks))
        rules = market_rules(gateways, decisions)
        keys = {*state.open_positions, *((d.venue, d.symbol) for d in decisions)}
        returns = risk_facts.load_returns(datasets, keys, settings.risk.correlation_window)
        outcome = risk.plan_entries(
            decisions, state, rules, settings.risk, run_id=ctx.run_id, quality_factor=quality_factor, returns=returns
        )
        ledger.record_decisions(ctx.run_id, decision_rows(decisions, outcome))
        return outcome


def decision_rows(decisions: Sequence[Decision], outcome: risk.SizingOutcome) -> list[dict[str, object]]:
    denied: dict[tuple[str, str], Denial] = {(d.venue, d.symbol): denial for d, denial in outcome.denials}
    approved = {(i.venue, i.symbol): i for i in outcome.intents}
    rows = []
    for d in decisions:
        key = (d.venue, d.symbol)
        if d.error:
            result, reason = "error", d.error
        elif key in approved:
            result, reason = "approved", approved[key].reason
        elif key in denied:
            result, reason = "denied", f"{denied[key].rule}: {denied[key].detail}"
        else:
            because = d.filter_reason or d.reason or "; ".join(s.reason for s in d.signals)
            result, reason = "skipped", because or "no signal"
        rows.append(
            {
                "venue": d.venue,
                "symbol": d.symbol,
                "regime": d.regime,
                "direction": d.direction.value,
                "score": d.score,
                "signals": json.dumps(
                    [[s.strategy, s.direction.value, s.confidence, s.reason, s.error] for s in d.signals]
                ),
                "outcome": result,
                "reason": reason,
                **strategy_columns(d),
            }
        )
    return rows


def strategy_columns(d: Decision) -> dict[str, object]:
    """The strategy engine's part of a decision row (migration 0004)."""
    if d.error:
        verdict = "error"
    elif d.filter_reason:
        verdict = "filtered"
    else:
        verdict = "candidate" if d.direction is Direction.LONG else "flat"
    return {
        "regime_confidence": d.regime_confidence,
        "routes": json.dumps([list(route) for route in d.routes]),
        "filter_outcome": verdict,
        "filter_reason": d.filter_reason or None,
        "error": d.error,
        "data_hash": d.data_hash or None,
        "summary": d.reason or None,
    }
