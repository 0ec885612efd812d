"""Stage 9: build the cycle report and close the run."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from tradepipe import wiring
from tradepipe.adapters.crash import crash_point
from tradepipe.adapters.storage.run_lock import RUN_LOCKS
from tradepipe.config import Settings
from tradepipe.core import reconcile as rec
from tradepipe.core.execution import ExecutionReport
from tradepipe.core.reporting import CycleSummary
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.quality import Verdict
from tradepipe.stages.gate import GateOutcome
from tradepipe.stages.marks import mark_prices, portfolio_state
from tradepipe.stages.observe import observe, trading_facts


def report(
    settings: Settings,
    ctx: CycleContext,
    *,
    universe_size: int,
    batches: int,
    cache_hits: int,
    gate: GateOutcome,
    signals: int,
    entries: ExecutionReport,
    exits: ExecutionReport,
    reconciliations: list[rec.ReconciliationResult],
    market_data: Mapping[str, int] | None = None,
) -> CycleSummary:
    """Build the cycle summary from the ledger, close the run and release its run lock."""
    started = time.perf_counter()
    ledger = wiring.ledger(settings)
    positions = ledger.open_positions()
    marks = mark_prices(wiring.gateways(settings, ctx.as_of_ms), positions)
    state = portfolio_state(settings, positions, marks)
    summary = CycleSummary(
        run_id=ctx.run_id,
        cycle=ctx.cycle,
        as_of=datetime.fromtimestamp(ctx.as_of_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC"),
        universe=universe_size,
        batches=batches,
        quarantined=[
            {"venue": r.venue, "symbol": r.symbol, "check": i.check, "detail": i.detail}
            for r in gate.reports
            if r.verdict is Verdict.QUARANTINE
            for i in r.issues
        ],
        signals=signals,
        orders=len(entries.placed) + len(exits.placed),
        fills=entries.new_fills + exits.new_fills,
        rejected=len(entries.rejected) + len(exits.rejected),
        recovered=len(entries.recovered),
        exits=len(exits.placed),
        open_positions=[
            {
                "venue": p.venue,
                "symbol": p.symbol,
                "amount": f"{p.amount.normalize():f}",
                "entry": f"{p.average_price:.6g}",
                "mark": f"{marks.get((p.venue, p.symbol), p.average_price):.6g}",
                "stop": f"{p.stop_loss:.6g}" if p.stop_loss is not None else "-",
                "target": f"{p.take_profit:.6g}" if p.take_profit is not None else "-",
            }
            for p in positions
        ],
        cash=f"{sum(state.cash.values(), Decimal(0)):.2f}",
        equity=f"{state.equity:.2f}",
        reconciliation=rec.overall_status(reconciliations),
        cache_hits=cache_hits,
        cache_misses=batches - cache_hits,
        market_data=dict(market_data or {}),
        stage_seconds=ledger.stage_seconds(ctx.run_id),
    )
    ledger.record_stage(ctx.run_id, "report", status="ok", seconds=time.perf_counter() - started)  # before metrics
    counts = {"signals": signals, "orders": summary.orders, "cache_hits": cache_hits, "batches": batches,
              "filled_orders": len(entries.filled) + len(exits.filled)}  # fmt: skip
    facts = trading_facts(settings, ctx.run_id, counts=counts, positions=positions, marks=marks, equity=state.equity)
    seen = observe(settings, ctx.run_id, facts)
    summary.metrics, summary.alerts = seen.metric_rows(), seen.alert_rows()
    crash_point("report.before_finish")
    ledger.finish_run(ctx.run_id, status="completed", equity=state.equity, summary=summary.as_dict())
    RUN_LOCKS.end_run(settings.ledger_url)
    return summary
