"""Gate runs and per-symbol quality reports in the ledger database (tables ``quality_runs``/``quality_reports``).

Quarantine entries themselves are written by ``Ledger.quarantine``/``release_quarantine``; this module reads
them for the reports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, desc, insert, select

from tradepipe.adapters.storage import tables as t
from tradepipe.domain.quality import QualityIssue, QualityReport, Verdict


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    venue: str
    symbol: str
    check: str
    detail: str
    first_seen: datetime
    last_seen: datetime
    clean_cycles: int


@dataclass(frozen=True, slots=True)
class GateRunRow:
    run_id: str
    as_of_ms: int
    symbols: int
    rows: int
    passed: int
    warned: int
    quarantined: int
    blocked: int
    released: int
    polars_seconds: float
    gx_status: str  # passed | failed | error | off
    gx_seconds: float
    gx_failed: tuple[str, ...]
    html_report: str
    data_docs: str


class QualityStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, run: GateRunRow, reports: Sequence[QualityReport]) -> None:
        """Store one gate run and its reports in one transaction."""
        with self.engine.begin() as conn:
            values: dict[str, Any] = {f: getattr(run, f) for f in GateRunRow.__slots__}
            values["gx_failed"] = json.dumps(list(run.gx_failed))
            conn.execute(insert(t.quality_runs).values(**values, created_at=datetime.now(UTC)))
            if reports:
                conn.execute(
                    insert(t.quality_reports),
                    [
                        {
                            "run_id": run.run_id,
                            "venue": r.venue,
                            "symbol": r.symbol,
                            "score": r.score,
                            "verdict": r.verdict.value,
                            "issues": json.dumps([[i.check, i.detail] for i in r.issues]),
                        }
                        for r in reports
                    ],
                )

    def latest_run(self) -> GateRunRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.quality_runs).order_by(desc(t.quality_runs.c.as_of_ms), desc(t.quality_runs.c.created_at))
            ).first()
        if row is None:
            return None
        data = {f: getattr(row, f) for f in GateRunRow.__slots__}
        data["gx_failed"] = tuple(json.loads(row.gx_failed))
        return GateRunRow(**data)

    def reports(self, run_id: str, symbol: str | None = None) -> list[QualityReport]:
        """A run's reports, worst score first (then venue, symbol)."""
        query = select(t.quality_reports).where(t.quality_reports.c.run_id == run_id)
        if symbol is not None:
            query = query.where(t.quality_reports.c.symbol == symbol)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        reports = [
            QualityReport(
                r.venue,
                r.symbol,
                float(r.score),
                Verdict(r.verdict),
                tuple(QualityIssue(c, d) for c, d in json.loads(r.issues)),
            )
            for r in rows
        ]
        return sorted(reports, key=lambda r: (r.score, r.venue, r.symbol))

    def open_quarantine(self, symbol: str | None = None) -> list[QuarantineEntry]:
        query = select(t.quarantine).where(t.quarantine.c.released_at.is_(None))
        if symbol is not None:
            query = query.where(t.quarantine.c.symbol == symbol)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.quarantine.c.venue, t.quarantine.c.symbol, t.quarantine.c.id))
            return [
                QuarantineEntry(
                    r.venue, r.symbol, r.check_name, r.detail, r.first_seen, r.last_seen, int(r.clean_cycles)
                )
                for r in rows
            ]
