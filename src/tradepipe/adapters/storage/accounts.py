"""The ledger's position, reconciliation and halt side, per account (paper | live) over the same tables.

``Ledger`` inherits these methods; each runs against ``self.account``. Positions stay a materialised view
of fills: ``replace_positions`` writes what ``rebuild_positions`` replays, keeping the exit rules' state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, Engine, func, insert, select, update

from tradepipe.adapters.storage import tables as t
from tradepipe.adapters.storage.orders import append_events, tracked_rows
from tradepipe.adapters.storage.rows import position_from_row, position_values
from tradepipe.core.execution.states import fill_events
from tradepipe.domain.orders import EventKind, Fill, IntentPurpose, OrderEvent, OrderStatus, Side, TrackedOrder
from tradepipe.domain.portfolio import Halt, Position
from tradepipe.errors import InvalidTransition

if TYPE_CHECKING:
    from tradepipe.adapters.storage.ledger import Ledger
    from tradepipe.core.positions.accounting import CostMethod


log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id(result: CursorResult[Any]) -> int:
    """The primary key of the row one insert just made."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the insert reported no primary key")
    return int(key[0])


@dataclass(frozen=True, slots=True)
class LedgerOrder:
    """An order the ledger believes is still working on the venue."""

    venue: str
    order_id: str
    client_order_id: str
    symbol: str
    status: str
    updated_at: datetime


class AccountBook:
    engine: Engine
    account: str
    cost_method: CostMethod

    def for_account(self, account: str) -> Ledger:
        """The same ledger seen from another account (paper and live share every table)."""
        from tradepipe.adapters.storage.ledger import Ledger

        return Ledger(self.engine, account=account, cost_method=self.cost_method)

    def _balance_key(self, venue: str, asset: str) -> Any:
        b = t.balances.c
        return (b.account == self.account) & (b.venue == venue) & (b.asset == asset)

    # --- runs that are not trading cycles -------------------------------------------
    def open_service_run(self, run_id: str, *, mode: str, seed: int, as_of_ms: int) -> int:
        """A run row for a reconcile or emergency-stop flow; unlike ``start_run`` it leaves other runs alone."""
        with self.engine.begin() as conn:
            cycle = (conn.execute(select(func.max(t.runs.c.cycle))).scalar() or 0) + 1
            conn.execute(
                insert(t.runs).values(
                    run_id=run_id, cycle=cycle, as_of_ms=as_of_ms, mode=mode, seed=seed, status="running",
                    started_at=_now(),
                )
            )  # fmt: skip
        return cycle

    # --- positions ------------------------------------------------------------------
    def positions(self, *, include_closed: bool = False) -> list[Position]:
        p = t.positions.c
        query = select(t.positions).where(p.account == self.account)
        if not include_closed:
            query = query.where(p.is_open.is_(True))
        with self.engine.connect() as conn:
            return [position_from_row(r) for r in conn.execute(query.order_by(p.venue, p.symbol))]

    def save_exit_state(self, positions: Iterable[Position]) -> int:
        """Persist stops, high-water marks and ladder progress the exit rules moved."""
        p = t.positions.c
        count = 0
        with self.engine.begin() as conn:
            for pos in positions:
                key = (p.account == self.account) & (p.venue == pos.venue) & (p.symbol == pos.symbol)
                values = {"stop_loss": pos.stop_loss, "high_water_mark": pos.high_water_mark}
                count += conn.execute(
                    update(t.positions).where(key).values(exits_taken=pos.exits_taken, **values)
                ).rowcount
        return count

    def replace_positions(self, rebuilt: Sequence[Position]) -> None:
        """Overwrite the materialised positions with ones rebuilt from fills (exit state is kept)."""
        stored = {(p.venue, p.symbol): p for p in self.positions(include_closed=True)}
        p = t.positions.c
        with self.engine.begin() as conn:
            for pos in rebuilt:
                old = stored.get((pos.venue, pos.symbol))
                values = position_values(pos)
                if old is not None and pos.is_open:
                    values.update(
                        stop_loss=old.stop_loss, take_profit=old.take_profit,
                        high_water_mark=old.high_water_mark, exits_taken=old.exits_taken,
                    )  # fmt: skip
                key = (p.account == self.account) & (p.venue == pos.venue) & (p.symbol == pos.symbol)
                if old is None:
                    conn.execute(insert(t.positions).values(**values))
                else:
                    conn.execute(update(t.positions).where(key).values(**values))

    # --- orders and fills seen from reconciliation ------------------------------------
    def working_orders(self, venue: str) -> list[LedgerOrder]:
        """Orders of this account that the venue acknowledged and the ledger still holds working.

        Orders never sent (an emulated stop held locally) or whose send outcome is unknown are left to
        execution's recovery; only what the venue has taken must also be listed by it.
        """
        o, i = t.orders.c, t.order_intents.c
        working = [s.value for s in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCEL_PENDING)]
        query = (
            select(o.venue, o.order_id, i.client_order_id, i.symbol, i.status, o.updated_at)
            .join(t.order_intents, i.client_order_id == o.client_order_id)
            .where((i.account == self.account) & (i.venue == venue) & i.status.in_(working))
        )
        with self.engine.connect() as conn:
            return [
                LedgerOrder(r.venue, r.order_id, r.client_order_id, r.symbol, r.status, _aware(r.updated_at))
                for r in conn.execute(query)
            ]

    def known_client_ids(self, venue: str) -> set[str]:
        i = t.order_intents.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(i.client_order_id).where((i.account == self.account) & (i.venue == venue)))
            return {r.client_order_id for r in rows}

    def known_trade_ids(self, venue: str) -> set[str]:
        f = t.fills.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(f.trade_id).where((f.account == self.account) & (f.venue == venue)))
            return {r.trade_id for r in rows}

    def import_fill(self, fill: Fill, *, run_id: str, reason: str) -> bool:
        """Book a venue trade the ledger missed: its intent (made up if the venue's client id is not ours),
        the fill, the position and the cash, in one transaction. False if the fill is already booked.

        An intent of ours follows its fills in the same transaction: the fill is an order event (ACCEPTED if
        need be, then PARTIALLY_FILLED, or FILLED once the fills reach the order amount)."""
        with self.engine.begin() as conn:
            i = t.order_intents.c
            intent = conn.execute(select(t.order_intents).where(i.client_order_id == fill.client_order_id)).first()
            if intent is None:
                conn.execute(insert(t.order_intents).values(**_imported_intent(fill, run_id, reason, self.account)))
            known = tracked_rows(conn, i.client_order_id == fill.client_order_id) if intent is not None else []
            if not self._insert_fill(conn, fill):  # type: ignore[attr-defined]
                return False
            stop = intent.stop_loss if intent is not None else None
            take = intent.take_profit if intent is not None else None
            self._apply_fill(conn, fill, stop, take)  # type: ignore[attr-defined]
            if known:
                _follow_fill(conn, known[0], fill, reason)
        if intent is None:  # the made-up intent's audit trail: it was born filled
            events = [OrderEvent(fill.client_order_id, kind, OrderStatus(kind.value), reason)
                      for kind in (EventKind.INITIALIZED, EventKind.FILLED)]  # fmt: skip
            self.record(fill.client_order_id, events)  # type: ignore[attr-defined]
        return True

    # --- reconciliation ----------------------------------------------------------------
    def record_reconciliation(
        self, run_id: str, venue: str, counterparty: str, status: str, diffs: Sequence[dict[str, Any]]
    ) -> int:
        """Store one reconciliation and every difference it found (kind, expected, actual, delta, resolution)."""
        with self.engine.begin() as conn:
            rec_id = _new_id(conn.execute(
                insert(t.reconciliations).values(
                    run_id=run_id, venue=venue, counterparty=counterparty, status=status, diff_count=len(diffs),
                    created_at=_now(), account=self.account,
                )
            ))  # fmt: skip
            if diffs:
                conn.execute(insert(t.reconciliation_diffs), [{"reconciliation_id": rec_id, **d} for d in diffs])
        return int(rec_id)

    def unresolved_reconciliations(self) -> int:
        """Mismatches in the newest reconciliation of each (venue, counterparty): entries halt while > 0."""
        r = t.reconciliations.c
        with self.engine.connect() as conn:
            newest = (
                select(r.venue, r.counterparty, func.max(r.id).label("id"))
                .where(r.account == self.account)
                .group_by(r.venue, r.counterparty)
                .subquery()
            )
            rows = conn.execute(select(r.status).join(newest, newest.c.id == r.id))
            return sum(1 for row in rows if row.status == "mismatch")

    def reconciliation_history(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest reconciliations of this account with their differences, newest first."""
        r, d = t.reconciliations.c, t.reconciliation_diffs.c
        with self.engine.connect() as conn:
            recs = conn.execute(
                select(t.reconciliations).where(r.account == self.account).order_by(r.id.desc()).limit(limit)
            ).all()
            ids = [rec.id for rec in recs]
            diffs = conn.execute(select(t.reconciliation_diffs).where(d.reconciliation_id.in_(ids))).all()
        by_rec: dict[int, list[dict[str, Any]]] = {}
        for diff in diffs:
            by_rec.setdefault(diff.reconciliation_id, []).append(dict(diff._mapping))
        return [{**dict(rec._mapping), "diffs": by_rec.get(rec.id, [])} for rec in recs]

    # --- the halt flag -------------------------------------------------------------------
    def set_halt(self, reason: str, *, source: str) -> int:
        """Persist a halt on new entries for this account (idempotent per reason and source)."""
        h = t.halts.c
        with self.engine.begin() as conn:
            same = conn.execute(
                select(h.id).where(
                    (h.account == self.account) & h.cleared_at.is_(None) & (h.reason == reason) & (h.source == source)
                )
            ).first()
            if same:
                return int(same.id)
            values = {"account": self.account, "reason": reason, "source": source, "set_at": _now()}
            return _new_id(conn.execute(insert(t.halts).values(**values)))

    def active_halts(self) -> list[Halt]:
        h = t.halts.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.halts).where((h.account == self.account) & h.cleared_at.is_(None)).order_by(h.id)
            )
            return [Halt(r.id, r.account, r.reason, r.source, int(_aware(r.set_at).timestamp() * 1000)) for r in rows]

    def clear_halts(self, *, by: str) -> int:
        """Lift every active halt of this account (``tradepipe resume``); returns how many were lifted."""
        h = t.halts.c
        with self.engine.begin() as conn:
            return conn.execute(
                update(t.halts)
                .where((h.account == self.account) & h.cleared_at.is_(None))
                .values(cleared_at=_now(), cleared_by=by)
            ).rowcount

    # --- history ------------------------------------------------------------------------
    def fill_history(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest fills of this account with the purpose and reason of their intent, newest first."""
        f, i = t.fills.c, t.order_intents.c
        query = (
            select(t.fills, i.purpose, i.reason)
            .join(t.order_intents, i.client_order_id == f.client_order_id)
            .where(f.account == self.account)
            .order_by(f.timestamp_ms.desc(), f.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _follow_fill(conn: Connection, order: TrackedOrder, fill: Fill, reason: str) -> None:
    """Move ``order`` on by one imported ``fill`` through the state table (events, intent and order rows)."""
    try:
        after, events = fill_events(order, fill, reason)
    except InvalidTransition as exc:  # a fill after the order ended: booked, the status stays (and is logged)
        log.error("order %s: imported fill %s does not fit the state table (%s)", order.client_order_id, fill, exc)
        return
    cid = order.client_order_id
    values = append_events(conn, cid, events)
    conn.execute(
        update(t.order_intents).where(t.order_intents.c.client_order_id == cid).values(updated_at=_now(), **values)
    )
    conn.execute(
        update(t.orders).where(t.orders.c.client_order_id == cid).values(status=after.status.value, filled=after.filled)
    )


def _imported_intent(fill: Fill, run_id: str, reason: str, account: str) -> dict[str, Any]:
    return {
        "client_order_id": fill.client_order_id,
        "run_id": run_id,
        "venue": fill.venue,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "order_type": "market",
        "purpose": (IntentPurpose.ENTRY if fill.side is Side.BUY else IntentPurpose.EXIT).value,
        "amount": fill.amount,
        "reference_price": fill.price,
        "stop_loss": None,
        "take_profit": None,
        "reason": reason,
        "status": OrderStatus.FILLED.value,
        "created_at": _now(),
        "updated_at": _now(),
        "account": account,
    }
