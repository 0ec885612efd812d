"""The ledger repository: the single source of truth for runs, intents, orders, fills, positions and cash.

Each public method is one transaction. Idempotency lives in unique constraints: an intent's client order
id, an order's (venue, order_id), a fill's (venue, trade_id) — recording the same thing twice is a no-op.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from tradepipe.adapters.storage import tables as t
from tradepipe.adapters.storage.accounts import AccountBook
from tradepipe.adapters.storage.orders import OrderJournal
from tradepipe.adapters.storage.rows import fill_from_row, position_from_row, position_values
from tradepipe.core.positions.accounting import CostMethod, apply_fill, base_and_quote
from tradepipe.domain.money import ledger_sum
from tradepipe.domain.orders import Fill
from tradepipe.domain.portfolio import PAPER, Position

TRADING_MODES = ("paper", "live")  # the modes of trading cycles; service runs have their own


def _now() -> datetime:
    return datetime.now(UTC)


class Ledger(AccountBook, OrderJournal):
    """One account's view (paper by default) of the shared ledger tables; ``for_account`` gives another."""

    def __init__(self, engine: Engine, *, account: str = PAPER, cost_method: CostMethod = "average") -> None:
        self.engine = engine
        self.account = account
        self.cost_method: CostMethod = cost_method

    # --- runs -----------------------------------------------------------------
    def start_run(self, run_id: str, *, as_of_ms: int, mode: str, seed: int) -> int:
        """Open a trading run; returns the cycle number. Call it holding the ledger's run lock (``run_lock``):
        then trading runs left 'running' have no live holder and are marked 'crashed'. Service runs (reconcile,
        emergency stop) take no run lock and are left alone."""
        orphaned = (t.runs.c.status == "running") & t.runs.c.mode.in_(TRADING_MODES)
        with self.engine.begin() as conn:
            conn.execute(update(t.runs).where(orphaned).values(status="crashed"))
            cycle = (conn.execute(select(func.max(t.runs.c.cycle))).scalar() or 0) + 1
            conn.execute(
                insert(t.runs).values(
                    run_id=run_id,
                    cycle=cycle,
                    as_of_ms=as_of_ms,
                    mode=mode,
                    seed=seed,
                    status="running",
                    started_at=_now(),
                )
            )
        return cycle

    def last_as_of_ms(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(t.runs.c.as_of_ms))).scalar()

    def run_seeds(self) -> set[int]:
        """The market seeds earlier runs traded on (a ledger belongs to one simulated market)."""
        with self.engine.connect() as conn:
            return {int(r.seed) for r in conn.execute(select(t.runs.c.seed).distinct())}

    def finish_run(self, run_id: str, *, status: str, equity: Decimal | None, summary: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(t.runs)
                .where(t.runs.c.run_id == run_id)
                .values(status=status, finished_at=_now(), equity=equity, summary=json.dumps(summary, default=str))
            )

    def equity_history(self) -> list[Decimal]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.runs.c.equity).where(t.runs.c.equity.is_not(None)).order_by(t.runs.c.cycle))
            return [Decimal(r.equity) for r in rows]

    def record_stage(self, run_id: str, stage: str, *, status: str, seconds: float, detail: str = "") -> None:
        """Record a stage attempt; a retried stage updates its row, adding the seconds and counting the attempt."""
        row = t.stage_runs.c
        with self.engine.begin() as conn:
            updated = conn.execute(
                update(t.stage_runs)
                .where(row.run_id == run_id, row.stage == stage)
                .values(status=status, seconds=row.seconds + seconds, detail=detail, attempts=row.attempts + 1)
            )
            if updated.rowcount == 0:
                conn.execute(
                    insert(t.stage_runs).values(
                        run_id=run_id, stage=stage, status=status, seconds=seconds, detail=detail
                    )
                )

    def stage_seconds(self, run_id: str) -> dict[str, float]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.stage_runs).where(t.stage_runs.c.run_id == run_id))
            return {r.stage: r.seconds for r in rows}

    # --- quarantine and decisions ---------------------------------------------
    def quarantine(self, run_id: str, findings: Iterable[tuple[str, str, str, str]]) -> int:
        """Record (venue, symbol, check, detail) findings; an open entry for the same check is refreshed."""
        count = 0
        with self.engine.begin() as conn:
            for venue, symbol, check, detail in findings:
                count += 1
                key = (
                    (t.quarantine.c.venue == venue)
                    & (t.quarantine.c.symbol == symbol)
                    & (t.quarantine.c.check_name == check)
                    & t.quarantine.c.released_at.is_(None)
                )
                refreshed = conn.execute(
                    update(t.quarantine)
                    .where(key)
                    .values(last_seen=_now(), last_seen_run=run_id, detail=detail, clean_cycles=0)
                )
                if refreshed.rowcount == 0:
                    conn.execute(
                        insert(t.quarantine).values(
                            venue=venue,
                            symbol=symbol,
                            check_name=check,
                            detail=detail,
                            first_seen_run=run_id,
                            last_seen_run=run_id,
                            first_seen=_now(),
                            last_seen=_now(),
                        )
                    )
                symbol_open = (
                    (t.quarantine.c.venue == venue)
                    & (t.quarantine.c.symbol == symbol)
                    & t.quarantine.c.released_at.is_(None)
                )
                conn.execute(update(t.quarantine).where(symbol_open).values(clean_cycles=0))  # the count restarts
        return count

    def release_quarantine(self, passed: Iterable[tuple[str, str]], *, after_clean_cycles: int = 1) -> int:
        """Count a clean cycle for quarantined symbols that passed the gate; release them at ``after_clean_cycles``.

        Returns the number of entries released.
        """
        released = 0
        with self.engine.begin() as conn:
            open_pairs = {
                (r.venue, r.symbol)
                for r in conn.execute(
                    select(t.quarantine.c.venue, t.quarantine.c.symbol).where(t.quarantine.c.released_at.is_(None))
                )
            }
            for venue, symbol in set(passed) & open_pairs:
                key = (
                    (t.quarantine.c.venue == venue)
                    & (t.quarantine.c.symbol == symbol)
                    & t.quarantine.c.released_at.is_(None)
                )
                conn.execute(update(t.quarantine).where(key).values(clean_cycles=t.quarantine.c.clean_cycles + 1))
                result = conn.execute(
                    update(t.quarantine)
                    .where(key & (t.quarantine.c.clean_cycles >= after_clean_cycles))
                    .values(released_at=_now())
                )
                released += result.rowcount
        return released

    def quarantined(self) -> set[tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.quarantine.c.venue, t.quarantine.c.symbol).where(t.quarantine.c.released_at.is_(None))
            )
            return {(r.venue, r.symbol) for r in rows}

    def record_decisions(self, run_id: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(t.decisions), [{"run_id": run_id, **row} for row in rows])

    # --- intents, orders, fills: see OrderJournal (adapters/storage/orders.py) ---------
    def _apply_fill(self, conn: Connection, fill: Fill, stop: Any, take: Any) -> None:
        key = (
            (t.positions.c.account == self.account)
            & (t.positions.c.venue == fill.venue)
            & (t.positions.c.symbol == fill.symbol)
        )
        row = conn.execute(select(t.positions).where(key)).first()
        current = position_from_row(row) if row else None
        position, cash_delta = apply_fill(
            current,
            fill,
            stop_loss=Decimal(stop) if stop is not None else None,
            take_profit=Decimal(take) if take is not None else None,
            method=self.cost_method,
            account=self.account,
        )
        if row:
            conn.execute(update(t.positions).where(key).values(**position_values(position)))
        else:
            conn.execute(insert(t.positions).values(**position_values(position)))
        _, quote = base_and_quote(fill.symbol)
        self._add_cash(conn, fill.venue, quote, cash_delta)

    # --- positions and balances -------------------------------------------------
    def open_positions(self) -> list[Position]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.positions)
                .where(t.positions.c.is_open.is_(True) & (t.positions.c.account == self.account))
                .order_by(t.positions.c.venue, t.positions.c.symbol)
            )
            return [position_from_row(r) for r in rows]

    def fills(self) -> list[Fill]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.fills).where(t.fills.c.account == self.account).order_by(t.fills.c.id))
            return [fill_from_row(r) for r in rows]

    def cash(self) -> dict[tuple[str, str], Decimal]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.balances).where(t.balances.c.account == self.account))
            return {(r.venue, r.asset): Decimal(r.total) for r in rows}

    def fund(self, venue: str, asset: str, amount: Decimal) -> bool:
        """Credit the starting balance once; False if the venue already has a balance row for the asset."""
        with self.engine.begin() as conn:
            exists = conn.execute(select(t.balances.c.total).where(self._balance_key(venue, asset))).first()
            if exists:
                return False
            conn.execute(
                insert(t.balances).values(
                    account=self.account, venue=venue, asset=asset, total=amount, updated_at=_now()
                )
            )
        return True

    def _add_cash(self, conn: Connection, venue: str, asset: str, delta: Decimal) -> None:
        key = self._balance_key(venue, asset)
        row = conn.execute(select(t.balances.c.total).where(key)).first()
        if row is None:
            conn.execute(
                insert(t.balances).values(
                    account=self.account, venue=venue, asset=asset, total=delta, updated_at=_now()
                )
            )
        else:
            conn.execute(
                update(t.balances).where(key).values(total=ledger_sum(Decimal(row.total), delta), updated_at=_now())
            )
