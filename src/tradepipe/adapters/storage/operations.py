"""Operations persistence: per-run metrics, alerts and their cooldown, and the ledger facts metrics need.

Same engine as the ``Ledger``; reads the ledger's tables, writes only ``run_metrics`` and ``alerts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, delete, func, insert, select

from tradepipe.adapters.storage import tables as t
from tradepipe.core.reporting.alerts import Alert
from tradepipe.core.reporting.metrics import Metric, StageSample


@dataclass(frozen=True, slots=True)
class StoredMetrics:
    run_id: str
    cycle: int
    finished_at: datetime | None
    metrics: tuple[Metric, ...]


@dataclass(frozen=True, slots=True)
class StoredAlert:
    run_id: str
    key: str
    rule: str
    severity: str
    message: str
    status: str
    sinks: str
    created_at: datetime


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite returns naive datetimes


class OperationsStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- facts for the metrics ------------------------------------------------
    def stage_samples(self, *, window_runs: int) -> list[StageSample]:
        """``stage_runs`` rows of the newest ``window_runs`` runs, oldest run first."""
        recent = select(t.runs.c.run_id).order_by(t.runs.c.cycle.desc()).limit(window_runs).subquery()
        query = (
            select(t.stage_runs, t.runs.c.cycle)
            .join(t.runs, t.runs.c.run_id == t.stage_runs.c.run_id)
            .where(t.stage_runs.c.run_id.in_(select(recent.c.run_id)))
            .order_by(t.runs.c.cycle, t.stage_runs.c.id)
        )
        with self.engine.connect() as conn:
            return [StageSample(r.run_id, r.stage, r.status, r.seconds, r.attempts) for r in conn.execute(query)]

    def slippage_inputs(self, run_id: str) -> list[tuple[str, Decimal, Decimal]]:
        """(side, reference price, fill price) for each fill of an order intended in ``run_id``."""
        i = t.order_intents.c
        query = (
            select(t.fills.c.side, i.reference_price, t.fills.c.price)
            .join(t.order_intents, i.client_order_id == t.fills.c.client_order_id)
            .where(i.run_id == run_id)
            .order_by(t.fills.c.id)
        )
        with self.engine.connect() as conn:
            return [(r.side, Decimal(r.reference_price), Decimal(r.price)) for r in conn.execute(query)]

    def realised(self) -> tuple[Decimal, int, int]:
        """(realised P&L of every position, closed positions, closed positions with positive realised P&L)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.positions.c.realized_pnl, t.positions.c.is_open)).all()
        pnl = sum((Decimal(r.realized_pnl) for r in rows), Decimal(0))
        closed = [Decimal(r.realized_pnl) for r in rows if not r.is_open]
        return pnl, len(closed), sum(1 for p in closed if p > 0)

    def reconciliation_diffs(self, run_id: str) -> int:
        """Differences left unresolved (status mismatch) by the reconciliations of ``run_id``."""
        c = t.reconciliations.c
        query = select(func.coalesce(func.sum(c.diff_count), 0)).where(c.run_id == run_id, c.status == "mismatch")
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # --- metrics --------------------------------------------------------------
    def save_metrics(self, run_id: str, metrics: Iterable[Metric]) -> None:
        """Store a run's metrics, replacing any stored before for that run."""
        rows = [{"run_id": run_id, "name": m.name, "label": m.label, "value": float(m.value)} for m in metrics]
        with self.engine.begin() as conn:
            conn.execute(delete(t.run_metrics).where(t.run_metrics.c.run_id == run_id))
            if rows:
                conn.execute(insert(t.run_metrics), rows)

    def latest_metrics(self) -> StoredMetrics | None:
        """The metrics of the newest run that has any."""
        m = t.run_metrics.c
        newest = (
            select(t.runs.c.run_id, t.runs.c.cycle, t.runs.c.finished_at)
            .where(t.runs.c.run_id.in_(select(m.run_id)))
            .order_by(t.runs.c.cycle.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            run = conn.execute(newest).first()
            if run is None:
                return None
            rows = conn.execute(select(m.name, m.label, m.value).where(m.run_id == run.run_id).order_by(m.id))
            metrics = tuple(Metric(r.name, r.value, r.label) for r in rows)
        finished = _aware(run.finished_at) if run.finished_at else None
        return StoredMetrics(run.run_id, run.cycle, finished, metrics)

    # --- alerts ---------------------------------------------------------------
    def last_sent(self, keys: Iterable[str]) -> dict[str, datetime]:
        """When each of ``keys`` was last sent (suppressed repeats do not count)."""
        a = t.alerts.c
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        query = select(a.key, func.max(a.created_at)).where(a.key.in_(wanted), a.status == "sent").group_by(a.key)
        with self.engine.connect() as conn:
            return {key: _aware(at) for key, at in conn.execute(query)}

    def record_alerts(
        self, run_id: str, sent: Sequence[Alert], suppressed: Sequence[Alert], sinks: Sequence[str], now: datetime
    ) -> None:
        rows = [
            {
                "run_id": run_id,
                "key": alert.key,
                "rule": alert.rule,
                "severity": alert.severity,
                "message": alert.message,
                "value": float(alert.value),
                "threshold": float(alert.threshold),
                "status": status,
                "sinks": ",".join(sinks) if status == "sent" else "",
                "created_at": now,
            }
            for status, group in (("sent", sent), ("suppressed", suppressed))
            for alert in group
        ]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(t.alerts), rows)

    def alerts(self, *, limit: int = 50) -> list[StoredAlert]:
        """The newest alerts first."""
        a = t.alerts.c
        query = select(t.alerts).order_by(a.created_at.desc(), a.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [
                StoredAlert(r.run_id, r.key, r.rule, r.severity, r.message, r.status, r.sinks, _aware(r.created_at))
                for r in conn.execute(query)
            ]

    def alert_counts(self) -> dict[tuple[str, str], int]:
        """(rule, status) → number of alerts ever recorded."""
        a = t.alerts.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(a.rule, a.status, func.count()).group_by(a.rule, a.status))
            return {(rule, status): int(count) for rule, status, count in rows}
