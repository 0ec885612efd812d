"""Stages 4–7: evaluate on Dask, size and check risk, execute, manage open positions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal

from tradepipe import wiring
from tradepipe.adapters.compute import map_batches, shared_client
from tradepipe.config import Settings
from tradepipe.core import execution, risk, venue_mapping
from tradepipe.core.ports import VenueGateway
from tradepipe.core.positions.exits import exit_intents
from tradepipe.core.strategy import EvaluationJob, StrategyParams, evaluate_job
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import MarketRules
from tradepipe.domain.money import to_decimal
from tradepipe.domain.portfolio import Position
from tradepipe.domain.strategy import Decision, Denial, Direction
from tradepipe.stages.timing import timed_stage


def strategy_params(settings: Settings) -> StrategyParams:
    s = settings.strategy
    return StrategyParams(
        fast=s.fast, slow=s.slow, atr_period=s.atr_period, min_atr_pct=s.min_atr_pct, max_atr_pct=s.max_atr_pct
    )


def evaluate(
    settings: Settings, ctx: CycleContext, work: Sequence[tuple[str, tuple[tuple[str, str], ...]]]
) -> list[Decision]:
    """One Dask task per batch on the process's LocalCluster (kept across cycles) or the cluster at dask.address."""
    with timed_stage(settings, ctx, "evaluate"):
        jobs = [EvaluationJob(path, pairs) for path, pairs in work]
        if not jobs:
            return []
        cfg = settings.dask
        client = shared_client(cfg.address or None, cfg.n_workers, cfg.threads_per_worker)
        batches = map_batches(client, evaluate_job, jobs, strategy_params(settings))
        return [d for batch in batches for d in batch]


def size(
    settings: Settings,
    ctx: CycleContext,
    decisions: Sequence[Decision],
    quality_factor: Mapping[tuple[str, str], float],
) -> risk.SizingOutcome:
    """Entry intents for the best LONG decisions; every decision is stored with its outcome and reason."""
    with timed_stage(settings, ctx, "size"):
        ledger = wiring.ledger(settings)
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        positions = ledger.open_positions()
        marks = mark_prices(gateways, positions)
        state = portfolio_state(settings, positions, marks)
        rules = market_rules(gateways, decisions)
        outcome = risk.plan_entries(
            decisions, state, rules, settings.risk, run_id=ctx.run_id, quality_factor=quality_factor
        )
        ledger.record_decisions(ctx.run_id, decision_rows(decisions, outcome))
        return outcome


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


def manage(settings: Settings, ctx: CycleContext) -> execution.ExecutionReport:
    """Stop-loss and take-profit exits for open positions at the latest marks."""
    with timed_stage(settings, ctx, "manage"):
        gateways = wiring.gateways(settings, ctx.as_of_ms)
        ledger = wiring.ledger(settings)
        positions = ledger.open_positions()
        intents = exit_intents(positions, mark_prices(gateways, positions), run_id=ctx.run_id)
        return execution.execute_intents(intents, gateways, ledger)


def mark_prices(gateways: Mapping[str, VenueGateway], positions: Sequence[Position]) -> dict[tuple[str, str], Decimal]:
    marks: dict[tuple[str, str], Decimal] = {}
    for venue in sorted({p.venue for p in positions}):
        symbols = [p.symbol for p in positions if p.venue == venue]
        for symbol, ticker in gateways[venue].fetch_tickers(symbols).items():
            if symbol in symbols and ticker.get("last"):
                marks[(venue, symbol)] = to_decimal(float(ticker["last"]))
    return marks


def portfolio_state(
    settings: Settings, positions: Sequence[Position], marks: Mapping[tuple[str, str], Decimal]
) -> risk.PortfolioState:
    ledger = wiring.ledger(settings)
    quote = settings.paper.quote
    cash = {venue: amount for (venue, asset), amount in ledger.cash().items() if asset == quote}
    equity = sum(cash.values(), Decimal(0)) + sum(
        (p.amount * marks.get((p.venue, p.symbol), p.average_price) for p in positions), Decimal(0)
    )
    history = ledger.equity_history()
    unresolved = ledger.unresolved_reconciliations()
    return risk.PortfolioState(
        cash=cash,
        open_positions=frozenset((p.venue, p.symbol) for p in positions),
        equity=equity,
        peak_equity=max([equity, *history]),
        halted=f"{unresolved} unresolved reconciliation mismatch(es)" if unresolved else None,
    )


def market_rules(
    gateways: Mapping[str, VenueGateway], decisions: Sequence[Decision]
) -> dict[tuple[str, str], MarketRules]:
    wanted = {(d.venue, d.symbol) for d in decisions if d.direction is Direction.LONG}
    rules: dict[tuple[str, str], MarketRules] = {}
    for venue in sorted({v for v, _ in wanted}):
        markets = gateways[venue].load_markets()
        rules.update({(venue, s): venue_mapping.market_rules(markets[s]) for v, s in wanted if v == venue})
    return rules


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
            result, reason = "skipped", "; ".join(s.reason for s in d.signals) or "no signal"
        rows.append(
            {
                "venue": d.venue,
                "symbol": d.symbol,
                "regime": d.regime,
                "direction": d.direction.value,
                "score": d.score,
                "signals": json.dumps([[s.strategy, s.direction.value, s.confidence, s.reason] for s in d.signals]),
                "outcome": result,
                "reason": reason,
            }
        )
    return rows
