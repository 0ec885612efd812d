"""Stage 7: manage open positions — the configured exit rules at the latest marks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import execution, venue_mapping
from tradepipe.core.ports import VenueGateway
from tradepipe.core.positions.exits import plan_exits
from tradepipe.core.positions.rules import build_rules
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import MarketRules
from tradepipe.stages.marks import mark_prices
from tradepipe.stages.timing import timed_stage


def manage(settings: Settings, ctx: CycleContext) -> execution.ExecutionReport:
    """Exit intents from the rules in ``[exits] rules``; moved stops and high-water marks are persisted first."""
    with timed_stage(settings, ctx, "manage"):
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        ledger = wiring.ledger(settings)
        positions = ledger.open_positions()
        marks = mark_prices(gateways, positions)
        partial = "ladder" in settings.exits.rules
        plan = plan_exits(
            positions, marks, run_id=ctx.run_id, now_ms=ctx.as_of_ms, rules=build_rules(settings.exits),
            market_rules=_market_rules(gateways, [p.key for p in positions]) if partial else None,
        )  # fmt: skip
        ledger.save_exit_state(plan.moved)
        return execution.execute_intents(plan.intents, gateways, ledger)


def _market_rules(
    gateways: Mapping[str, VenueGateway], keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], MarketRules]:
    """Amount steps and minimums of the held symbols: partial exits round to them."""
    rules = {}
    for venue in sorted({v for v, _ in keys}):
        markets = gateways[venue].load_markets()
        rules.update({(v, s): venue_mapping.market_rules(markets[s]) for v, s in keys if v == venue and s in markets})
    return rules
