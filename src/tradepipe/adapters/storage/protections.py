"""Persisted protection locks and the ledger facts risk reads (exit fills with purpose, equity marks, open buys).

Locks are idempotent on (protection, venue, symbol, until_ms): evaluating the same history twice stores one lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, and_, insert, select, update

from tradepipe.adapters.storage import tables as t
from tradepipe.adapters.storage.rows import fill_from_row
from tradepipe.domain.orders import TERMINAL_STATUSES, Fill
from tradepipe.domain.risk import Lock


def _now() -> datetime:
    return datetime.now(UTC)


def _lock(row: object) -> Lock:
    return Lock(
        row.protection,  # type: ignore[attr-defined]
        row.venue,  # type: ignore[attr-defined]
        row.symbol,  # type: ignore[attr-defined]
        row.reason,  # type: ignore[attr-defined]
        int(row.since_ms),  # type: ignore[attr-defined]
        int(row.until_ms),  # type: ignore[attr-defined]
    )


class ProtectionStore:
    """Repository for ``risk_locks`` plus read-only queries over the ledger tables that protections judge."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_locks(self, locks: Iterable[Lock], *, run_id: str | None = None) -> int:
        """Store locks not stored yet; returns how many were new."""
        added = 0
        with self.engine.begin() as conn:
            for lock in locks:
                c = t.risk_locks.c
                same = and_(
                    c.protection == lock.protection,
                    c.venue == lock.venue,
                    c.symbol == lock.symbol,
                    c.until_ms == lock.until_ms,
                )
                if conn.execute(select(c.id).where(same)).first():
                    continue
                conn.execute(
                    insert(t.risk_locks).values(
                        protection=lock.protection,
                        venue=lock.venue,
                        symbol=lock.symbol,
                        reason=lock.reason,
                        since_ms=lock.since_ms,
                        until_ms=lock.until_ms,
                        run_id=run_id,
                        created_at=_now(),
                    )
                )
                added += 1
        return added

    def active_locks(self, now_ms: int) -> list[Lock]:
        c = t.risk_locks.c
        query = (
            select(t.risk_locks)
            .where(c.released_at.is_(None), c.until_ms > now_ms, c.since_ms <= now_ms)
            .order_by(c.until_ms, c.id)
        )
        with self.engine.connect() as conn:
            return [_lock(r) for r in conn.execute(query)]

    def release(self, now_ms: int, *, protection: str | None = None, symbol: str | None = None) -> int:
        """Release active locks by hand (optionally only one protection's or one symbol's); returns how many."""
        c = t.risk_locks.c
        where = [c.released_at.is_(None), c.until_ms > now_ms]
        if protection:
            where.append(c.protection == protection)
        if symbol:
            where.append(c.symbol == symbol)
        with self.engine.begin() as conn:
            return conn.execute(update(t.risk_locks).where(*where).values(released_at=_now())).rowcount or 0

    def exit_history(self) -> list[tuple[Fill, str]]:
        """Every fill with its intent's purpose, oldest first (entries are needed for the cost basis of exits)."""
        query = (
            select(t.fills, t.order_intents.c.purpose)
            .join(t.order_intents, t.order_intents.c.client_order_id == t.fills.c.client_order_id)
            .order_by(t.fills.c.timestamp_ms, t.fills.c.id)
        )
        with self.engine.connect() as conn:
            return [(fill_from_row(r), str(r.purpose)) for r in conn.execute(query)]

    def equity_marks(self) -> list[tuple[int, Decimal]]:
        """``(as_of_ms, equity)`` of finished runs, oldest first."""
        c = t.runs.c
        query = select(c.as_of_ms, c.equity).where(c.equity.is_not(None)).order_by(c.cycle)
        with self.engine.connect() as conn:
            return [(int(r.as_of_ms), Decimal(r.equity)) for r in conn.execute(query)]

    def reserved_cash(self) -> dict[str, Decimal]:
        """Quote still held by open buy intents (not in a terminal state): unfilled amount × price, per venue."""
        i, o = t.order_intents.c, t.orders.c
        closed = [s.value for s in TERMINAL_STATUSES] + ["resolved", "abandoned"]
        query = (
            select(i.venue, i.amount, i.reference_price, i.limit_price, o.filled)
            .select_from(t.order_intents.outerjoin(t.orders, o.client_order_id == i.client_order_id))
            .where(i.side == "buy", i.status.not_in(closed))
        )
        reserved: dict[str, Decimal] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(query):
                left = Decimal(r.amount) - Decimal(r.filled or 0)
                price = Decimal(r.limit_price if r.limit_price is not None else r.reference_price)
                reserved[r.venue] = reserved.get(r.venue, Decimal(0)) + max(Decimal(0), left) * price
        return reserved
