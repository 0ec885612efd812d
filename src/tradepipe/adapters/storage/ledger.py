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
from tradepipe.adapters.storage.rows import fill_from_row, intent_from_row, position_from_row, position_values
from tradepipe.core.positions.accounting import apply_fill, base_and_quote
from tradepipe.domain.money import ledger_sum
from tradepipe.domain.orders import TERMINAL_STATUSES, Fill, Order, OrderIntent
from tradepipe.domain.portfolio import Position


def _now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- runs -----------------------------------------------------------------
    def start_run(self, run_id: str, *, as_of_ms: int, mode: str, seed: int) -> int:
        """Open a run; runs left 'running' by a crash are marked 'crashed'. Returns the cycle number."""
        with self.engine.begin() as conn:
            conn.execute(update(t.runs).where(t.runs.c.status == "running").values(status="crashed"))
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
        with self.engine.begin() as conn:
            conn.execute(
                insert(t.stage_runs).values(run_id=run_id, stage=stage, status=status, seconds=seconds, detail=detail)
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
                    update(t.quarantine).where(key).values(last_seen=_now(), last_seen_run=run_id, detail=detail)
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
        return count

    def release_quarantine(self, passed: Iterable[tuple[str, str]]) -> int:
        """Release open quarantine entries of symbols that passed the gate this cycle."""
        released = 0
        with self.engine.begin() as conn:
            for venue, symbol in passed:
                result = conn.execute(
                    update(t.quarantine)
                    .where(
                        (t.quarantine.c.venue == venue)
                        & (t.quarantine.c.symbol == symbol)
                        & t.quarantine.c.released_at.is_(None)
                    )
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

    # --- intents, orders, fills -------------------------------------------------
    def add_intent(self, intent: OrderIntent) -> bool:
        """Commit an intent before any venue call. False if this client order id already exists."""
        with self.engine.begin() as conn:
            if conn.execute(
                select(t.order_intents.c.client_order_id).where(
                    t.order_intents.c.client_order_id == intent.client_order_id
                )
            ).first():
                return False
            conn.execute(
                insert(t.order_intents).values(
                    client_order_id=intent.client_order_id,
                    run_id=intent.run_id,
                    venue=intent.venue,
                    symbol=intent.symbol,
                    side=intent.side.value,
                    order_type=intent.order_type.value,
                    purpose=intent.purpose.value,
                    amount=intent.amount,
                    reference_price=intent.reference_price,
                    stop_loss=intent.stop_loss,
                    take_profit=intent.take_profit,
                    reason=intent.reason,
                    status="pending",
                    created_at=_now(),
                )
            )
        return True

    def set_intent_status(self, client_order_id: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(t.order_intents)
                .where(t.order_intents.c.client_order_id == client_order_id)
                .values(status=status)
            )

    def unresolved_intents(self) -> list[OrderIntent]:
        """Intents whose venue outcome the ledger does not know yet (pending or sent)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.order_intents)
                .where(t.order_intents.c.status.in_(("pending", "sent")))
                .order_by(t.order_intents.c.created_at)
            )
            return [intent_from_row(r) for r in rows]

    def intent(self, client_order_id: str) -> OrderIntent | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.order_intents).where(t.order_intents.c.client_order_id == client_order_id)
            ).first()
            return intent_from_row(row) if row else None

    def record_order(self, order: Order) -> list[Fill]:
        """Store the venue's order state and its fills in one transaction; returns the fills that were new."""
        with self.engine.begin() as conn:
            intent_row = conn.execute(
                select(t.order_intents).where(t.order_intents.c.client_order_id == order.client_order_id)
            ).one()
            self._upsert_order(conn, order)
            new = [f for f in order.fills if self._insert_fill(conn, f)]
            for fill in new:
                self._apply_fill(conn, fill, intent_row.stop_loss, intent_row.take_profit)
            if order.status in TERMINAL_STATUSES:
                conn.execute(
                    update(t.order_intents)
                    .where(t.order_intents.c.client_order_id == order.client_order_id)
                    .values(status="resolved")
                )
        return new

    def _upsert_order(self, conn: Connection, order: Order) -> None:
        values = {
            "venue": order.venue,
            "order_id": order.order_id,
            "client_order_id": order.client_order_id,
            "symbol": order.symbol,
            "side": order.side.value,
            "order_type": order.order_type.value,
            "amount": order.amount,
            "filled": order.filled,
            "average_price": order.average_price,
            "status": order.status.value,
            "reason": order.reason,
            "updated_at": _now(),
        }
        existing = conn.execute(
            select(t.orders.c.id).where(t.orders.c.client_order_id == order.client_order_id)
        ).first()
        if existing:
            conn.execute(update(t.orders).where(t.orders.c.id == existing.id).values(**values))
        else:
            conn.execute(insert(t.orders).values(**values))

    def _insert_fill(self, conn: Connection, fill: Fill) -> bool:
        seen = conn.execute(
            select(t.fills.c.id).where((t.fills.c.venue == fill.venue) & (t.fills.c.trade_id == fill.trade_id))
        ).first()
        if seen:
            return False
        conn.execute(
            insert(t.fills).values(
                venue=fill.venue,
                trade_id=fill.trade_id,
                order_id=fill.order_id,
                client_order_id=fill.client_order_id,
                symbol=fill.symbol,
                side=fill.side.value,
                amount=fill.amount,
                price=fill.price,
                fee=fill.fee,
                fee_currency=fill.fee_currency,
                timestamp_ms=fill.timestamp_ms,
            )
        )
        return True

    def _apply_fill(self, conn: Connection, fill: Fill, stop: Any, take: Any) -> None:
        key = (t.positions.c.venue == fill.venue) & (t.positions.c.symbol == fill.symbol)
        row = conn.execute(select(t.positions).where(key)).first()
        current = position_from_row(row) if row else None
        position, cash_delta = apply_fill(
            current,
            fill,
            stop_loss=Decimal(stop) if stop is not None else None,
            take_profit=Decimal(take) if take is not None else None,
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
                .where(t.positions.c.is_open.is_(True))
                .order_by(t.positions.c.venue, t.positions.c.symbol)
            )
            return [position_from_row(r) for r in rows]

    def fills(self) -> list[Fill]:
        with self.engine.connect() as conn:
            return [fill_from_row(r) for r in conn.execute(select(t.fills).order_by(t.fills.c.id))]

    def cash(self) -> dict[tuple[str, str], Decimal]:
        with self.engine.connect() as conn:
            return {(r.venue, r.asset): Decimal(r.total) for r in conn.execute(select(t.balances))}

    def fund(self, venue: str, asset: str, amount: Decimal) -> bool:
        """Credit the starting balance once; False if the venue already has a balance row for the asset."""
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(t.balances.c.total).where((t.balances.c.venue == venue) & (t.balances.c.asset == asset))
            ).first()
            if exists:
                return False
            conn.execute(insert(t.balances).values(venue=venue, asset=asset, total=amount, updated_at=_now()))
        return True

    def _add_cash(self, conn: Connection, venue: str, asset: str, delta: Decimal) -> None:
        key = (t.balances.c.venue == venue) & (t.balances.c.asset == asset)
        row = conn.execute(select(t.balances.c.total).where(key)).first()
        if row is None:
            conn.execute(insert(t.balances).values(venue=venue, asset=asset, total=delta, updated_at=_now()))
        else:
            conn.execute(
                update(t.balances).where(key).values(total=ledger_sum(Decimal(row.total), delta), updated_at=_now())
            )

    # --- reconciliation -------------------------------------------------------
    def record_reconciliation(
        self, run_id: str, venue: str, counterparty: str, status: str, diffs: Sequence[dict[str, Any]]
    ) -> int:
        with self.engine.begin() as conn:
            rec_id = conn.execute(
                insert(t.reconciliations).values(
                    run_id=run_id,
                    venue=venue,
                    counterparty=counterparty,
                    status=status,
                    diff_count=len(diffs),
                    created_at=_now(),
                )
            ).inserted_primary_key[0]
            if diffs:
                conn.execute(insert(t.reconciliation_diffs), [{"reconciliation_id": rec_id, **d} for d in diffs])
        return int(rec_id)

    def unresolved_reconciliations(self) -> int:
        """Mismatches in the newest reconciliation of each venue: new entries halt while this is > 0."""
        with self.engine.connect() as conn:
            newest = (
                select(t.reconciliations.c.venue, func.max(t.reconciliations.c.id).label("id"))
                .group_by(t.reconciliations.c.venue)
                .subquery()
            )
            rows = conn.execute(select(t.reconciliations.c.status).join(newest, newest.c.id == t.reconciliations.c.id))
            return sum(1 for r in rows if r.status == "mismatch")
