"""Part of stage 9: measure the run (metrics stored per run) and raise alerts (log, webhook; cooldown persisted).

The Prefect artifacts and event for the same metrics and alerts are created by the report task in ``tasks/``.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradepipe import wiring
from tradepipe.adapters.metrics.sinks import AlertSink, LogSink, WebhookSink, deliver
from tradepipe.adapters.storage.run_lock import RUN_LOCKS
from tradepipe.config import Settings
from tradepipe.core.reporting.alerts import Thresholds, Triage, evaluate, triage
from tradepipe.core.reporting.metrics import Metric, TradingFacts, operational_metrics, run_metrics, slippage_bps
from tradepipe.domain.money import to_float
from tradepipe.domain.portfolio import Position


@dataclass(frozen=True, slots=True)
class Observation:
    run_id: str
    metrics: tuple[Metric, ...]
    alerts: Triage
    delivered_to: tuple[str, ...]

    def metric_rows(self) -> list[dict[str, object]]:
        return [asdict(m) for m in self.metrics]

    def alert_rows(self) -> list[dict[str, object]]:
        return [
            {**asdict(alert), "status": status}
            for status, group in (("sent", self.alerts.send), ("suppressed", self.alerts.suppressed))
            for alert in group
        ]


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def thresholds(settings: Settings) -> Thresholds:
    a = settings.alerts
    return Thresholds(
        stage_p95_seconds=a.stage_p95_seconds,
        error_rate=a.error_rate,
        memory_mib=a.memory_mib,
        min_cache_hit_rate=a.min_cache_hit_rate,
        drawdown=a.drawdown,
        reconciliation_diffs=a.reconciliation_diffs,
        stage_failures=a.stage_failures,
    )


def sinks(settings: Settings) -> list[AlertSink]:
    found: list[AlertSink] = [LogSink()]
    if settings.alerts.webhook_url:
        found.append(WebhookSink(settings.alerts.webhook_url))
    return found


def trading_facts(
    settings: Settings,
    run_id: str,
    *,
    counts: Mapping[str, int],
    positions: Sequence[Position],
    marks: Mapping[tuple[str, str], Decimal],
    equity: Decimal,
) -> TradingFacts:
    """Gather the business facts of ``run_id`` from the ledger; ``counts`` has signals, orders, filled_orders,
    cache_hits and batches from the cycle's stage results."""
    store = wiring.operations(settings)
    realised, closed, winners = store.realised()
    unrealised = sum(
        ((marks.get((p.venue, p.symbol), p.average_price) - p.average_price) * p.amount for p in positions), Decimal(0)
    )
    gross = sum((abs(p.amount * marks.get((p.venue, p.symbol), p.average_price)) for p in positions), Decimal(0))
    return TradingFacts(
        signals=counts.get("signals", 0),
        orders=counts.get("orders", 0),
        filled_orders=counts.get("filled_orders", 0),
        slippage_bps=tuple(
            slippage_bps(side, to_float(ref), to_float(px)) for side, ref, px in store.slippage_inputs(run_id)
        ),
        realised_pnl=to_float(realised),
        unrealised_pnl=to_float(unrealised),
        gross_exposure=to_float(gross),
        equity=to_float(equity),
        equity_history=tuple(to_float(e) for e in wiring.ledger(settings).equity_history()),
        closed_trades=closed,
        winning_trades=winners,
        cache_hits=counts.get("cache_hits", 0),
        batches=counts.get("batches", 0),
        peak_rss_bytes=peak_rss_bytes(),
        reconciliation_diffs=store.reconciliation_diffs(run_id),
    )


def observe(settings: Settings, run_id: str, facts: TradingFacts | None, now: datetime | None = None) -> Observation:
    """Compute and store the run's metrics, check the alert thresholds, send what the cooldown lets through.

    ``facts`` is None for a run that failed before its report: only the operational metrics are known then.
    """
    store = wiring.operations(settings)
    window = store.stage_samples(window_runs=settings.metrics.window_runs)
    run = [s for s in window if s.run_id == run_id]
    metrics = run_metrics(facts, window, run) if facts else operational_metrics(window, run, peak_rss_bytes())
    store.save_metrics(run_id, metrics)
    if not settings.alerts.enabled:
        return Observation(run_id, tuple(metrics), Triage((), ()), ())
    now = now or datetime.now(UTC)
    found = evaluate(metrics, thresholds(settings))
    split = triage(
        found, store.last_sent(a.key for a in found), now, timedelta(minutes=settings.alerts.cooldown_minutes)
    )
    delivered = deliver(run_id, split.send, sinks(settings))
    store.record_alerts(run_id, split.send, split.suppressed, delivered, now)
    return Observation(run_id, tuple(metrics), split, tuple(delivered))


def observe_failure(settings: Settings, reason: str, now: datetime | None = None) -> Observation | None:
    """After a cycle failed: mark its run failed, store what metrics it has and raise its alerts (stage failures).

    The failed run is the one this process opened under the ledger's run lock; a cycle that failed before
    opening one (another run holds the lock, a bad seed) records nothing: the running run is someone else's.
    The run lock is released.
    """
    run_id = RUN_LOCKS.run_id(settings.ledger_url)
    try:
        if run_id is None:
            return None
        seen = observe(settings, run_id, None, now)
        summary = {"error": reason, "metrics": seen.metric_rows(), "alerts": seen.alert_rows()}
        wiring.ledger(settings).finish_run(run_id, status="failed", equity=None, summary=summary)
        return seen
    finally:
        RUN_LOCKS.end_run(settings.ledger_url)
