"""Reading the ``decisions`` table: the CLI's view of it and the cooldown filter's memory of entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from tradepipe.adapters.storage import tables as t


class DecisionStore:
    """Queries over the decision record (rows are written by the size stage through the ledger)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def recent_entries(self, cycle: int, cycles: int) -> dict[tuple[str, str], int]:
        """(venue, symbol) -> cycles since its latest approved entry, for entries in the ``cycles`` cycles
        before ``cycle``."""
        if cycles <= 0:
            return {}
        d, r = t.decisions, t.runs
        query = (
            select(d.c.venue, d.c.symbol, func.max(r.c.cycle))
            .join(r, r.c.run_id == d.c.run_id)
            .where(d.c.outcome == "approved", r.c.cycle < cycle, r.c.cycle >= cycle - cycles)
            .group_by(d.c.venue, d.c.symbol)
        )
        with self.engine.connect() as conn:
            return {(venue, symbol): cycle - last for venue, symbol, last in conn.execute(query)}

    def query(self, *, symbol: str | None = None, run: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Decision rows, newest cycle first, best score first within a cycle; ``run`` = a run id or a cycle."""
        d, r = t.decisions, t.runs
        query = select(d, r.c.cycle).join(r, r.c.run_id == d.c.run_id)
        if symbol:
            query = query.where(d.c.symbol == symbol)
        if run:
            query = query.where((d.c.run_id == run) | (r.c.cycle == int(run) if run.isdigit() else d.c.run_id == run))
        query = query.order_by(r.c.cycle.desc(), d.c.score.desc(), d.c.venue, d.c.symbol).limit(limit)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
