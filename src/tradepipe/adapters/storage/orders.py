"""The ledger's order side: intents, the order state machine's events, venue orders and fills.

``Ledger`` inherits ``OrderJournal`` and so implements ``tradepipe.core.execution.Journal`` (its docstring is
the contract). Every public method is one transaction; idempotency lives in unique constraints: the intent's
client order id, an order's (venue, order_id), a fill's (venue, trade_id), an event's (client id, seq).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from tradepipe.adapters.crash import crash_point
from tradepipe.adapters.storage import tables as t
from tradepipe.adapters.storage.rows import dec, intent_from_row
from tradepipe.core.execution.states import status_before_cancel, venue_events
from tradepipe.domain.orders import (
    TERMINAL_STATUSES,
    EventKind,
    Fill,
    Order,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    TimeInForce,
    TrackedOrder,
)

OPEN_STATUSES = tuple(s.value for s in OrderStatus if s not in TERMINAL_STATUSES)


_LEGACY = {"pending": "initialized", "sent": "unknown", "resolved": "filled", "abandoned": "canceled"}


def status_of(value: str) -> OrderStatus:
    """An ``order_intents.status`` value as an ``OrderStatus`` (pre-0006 names are mapped as the migration does)."""
    return OrderStatus(_LEGACY.get(value, value))


def _now() -> datetime:
    return datetime.now(UTC)


class OrderJournal:
    """Mixed into ``Ledger``: needs ``engine``, ``account`` and ``_apply_fill`` (positions and cash)."""

    engine: Engine
    account: str

    def _apply_fill(self, conn: Connection, fill: Fill, stop: Any, take: Any) -> None:
        """Apply a new fill to positions and cash in ``conn``'s transaction (``Ledger`` provides it)."""
        raise NotImplementedError

    # --- writes -----------------------------------------------------------------
    def add_intent(
        self,
        intent: OrderIntent,
        *,
        emulated: bool = False,
        submitted: bool = False,
        route: str = "",
        arrival_price: Decimal | None = None,
        expected_slippage_bps: float | None = None,
    ) -> bool:
        """Commit the intent (INITIALIZED, or SUBMITTED) and its events before any venue call; False if it exists."""
        with self.engine.begin() as conn:
            i = t.order_intents.c
            if conn.execute(select(i.client_order_id).where(i.client_order_id == intent.client_order_id)).first():
                return False
            conn.execute(
                insert(t.order_intents).values(
                    **_intent_values(intent),
                    status=(OrderStatus.SUBMITTED if submitted else OrderStatus.INITIALIZED).value,
                    attempts=1 if submitted else 0,
                    created_at=_now(),
                    updated_at=_now(),
                    account=self.account,
                    emulated=emulated,
                    route=route,
                    arrival_price=arrival_price,
                    expected_slippage_bps=expected_slippage_bps,
                )
            )
            detail = "; ".join(x for x in (intent.reason, route) if x)
            events = [OrderEvent(intent.client_order_id, EventKind.INITIALIZED, OrderStatus.INITIALIZED, detail)]
            if submitted:
                events.append(
                    OrderEvent(intent.client_order_id, EventKind.SUBMITTED, OrderStatus.SUBMITTED, "attempt 1")
                )
            _insert_events(conn, intent.client_order_id, events, start=1)
        crash_point("journal.intent_committed")
        return True

    def record(
        self,
        client_order_id: str,
        events: Sequence[OrderEvent],
        order: Order | None = None,
        *,
        attempts: int | None = None,
        slippage_bps: float | None = None,
    ) -> list[Fill]:
        """Events, the new status, the venue's order and its new fills, in ONE transaction; returns new fills."""
        with self.engine.begin() as conn:
            i = t.order_intents.c
            row = conn.execute(select(t.order_intents).where(i.client_order_id == client_order_id)).one()
            values: dict[str, Any] = {"updated_at": _now(), **append_events(conn, client_order_id, events)}
            if attempts is not None:
                values["attempts"] = attempts
            conn.execute(update(t.order_intents).where(i.client_order_id == client_order_id).values(**values))
            new: list[Fill] = []
            if order is not None:
                status = events[-1].status if events else status_of(row.status)
                self._upsert_order(conn, order, status, slippage_bps)
                for fill in order.fills:
                    if self._insert_fill(conn, fill):
                        new.append(fill)
                        self._apply_fill(conn, fill, row.stop_loss, row.take_profit)
                        crash_point("journal.fill_inserted")
            crash_point("journal.before_commit")
        crash_point("journal.committed")
        return new

    def record_order(self, order: Order) -> list[Fill]:
        """Bring the order up to the venue's report ``order`` through the state machine; returns new fills."""
        tracked = self.tracked(order.client_order_id)
        if tracked is None:
            raise KeyError(f"no intent with client order id {order.client_order_id}")
        _, events = venue_events(tracked, order)
        return self.record(order.client_order_id, events, order)

    def _upsert_order(self, conn: Connection, order: Order, status: OrderStatus, slippage_bps: float | None) -> None:
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
            "status": status.value,
            "reason": order.reason,
            "updated_at": _now(),
            "slippage_bps": slippage_bps,
        }
        o = t.orders.c
        existing = conn.execute(select(o.id).where(o.client_order_id == order.client_order_id)).first()
        if existing:
            conn.execute(update(t.orders).where(o.id == existing.id).values(**values))
        else:
            conn.execute(insert(t.orders).values(**values))

    def _insert_fill(self, conn: Connection, fill: Fill) -> bool:
        f = t.fills.c
        if conn.execute(select(f.id).where((f.venue == fill.venue) & (f.trade_id == fill.trade_id))).first():
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
                account=self.account,
            )
        )
        return True

    # --- reads ------------------------------------------------------------------
    def tracked(self, client_order_id: str) -> TrackedOrder | None:
        with self.engine.connect() as conn:
            found = tracked_rows(conn, t.order_intents.c.client_order_id == client_order_id)
        return found[0] if found else None

    def open_orders(self) -> list[TrackedOrder]:
        """This account's orders not in a terminal status, oldest first."""
        i = t.order_intents.c
        with self.engine.connect() as conn:
            return tracked_rows(conn, i.status.in_(OPEN_STATUSES) & (i.account == self.account))

    def order_rows(self, *, limit: int = 50, open_only: bool = False) -> list[dict[str, Any]]:
        """This account's newest orders for display: intent, status, reason, route, fills and realised slippage."""
        i, o = t.order_intents.c, t.orders.c
        query = (
            select(
                i.client_order_id,
                i.created_at,
                i.venue,
                i.symbol,
                i.side,
                i.order_type,
                i.amount,
                i.limit_price,
                i.stop_price,
                i.time_in_force,
                i.status,
                i.status_reason,
                i.route,
                i.attempts,
                i.emulated,
                i.expected_slippage_bps,
                o.order_id,
                o.filled,
                o.average_price,
                o.slippage_bps,
            )
            .select_from(t.order_intents.outerjoin(t.orders, o.client_order_id == i.client_order_id))
            .where(i.account == self.account)
            .order_by(i.created_at.desc(), i.client_order_id)
            .limit(limit)
        )
        if open_only:
            query = query.where(i.status.in_(OPEN_STATUSES))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def unresolved_intents(self) -> list[OrderIntent]:
        """The intents of ``open_orders`` (their venue outcome is not final yet)."""
        return [o.intent for o in self.open_orders()]

    def intent(self, client_order_id: str) -> OrderIntent | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.order_intents).where(t.order_intents.c.client_order_id == client_order_id)
            ).first()
            return intent_from_row(row) if row else None

    def order_events(self, client_order_id: str) -> list[OrderEvent]:
        e = t.order_events.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.order_events).where(e.client_order_id == client_order_id).order_by(e.seq))
            return [
                OrderEvent(
                    r.client_order_id,
                    EventKind(r.kind),
                    OrderStatus(r.status),
                    r.detail,
                    r.trade_id,
                    dec(r.amount),
                    dec(r.price),
                )
                for r in rows
            ]


_PLAIN = frozenset({EventKind.SUBMITTED, EventKind.ACCEPTED, EventKind.PARTIALLY_FILLED, EventKind.FILLED})


def _intent_values(intent: OrderIntent) -> dict[str, Any]:
    return {
        "client_order_id": intent.client_order_id,
        "run_id": intent.run_id,
        "venue": intent.venue,
        "symbol": intent.symbol,
        "side": intent.side.value,
        "order_type": intent.order_type.value,
        "purpose": intent.purpose.value,
        "amount": intent.amount,
        "reference_price": intent.reference_price,
        "stop_loss": intent.stop_loss,
        "take_profit": intent.take_profit,
        "reason": intent.reason,
        "limit_price": intent.limit_price,
        "stop_price": intent.stop_price,
        "time_in_force": intent.time_in_force.value,
        "expires_at_ms": intent.expires_at_ms,
    }


def append_events(conn: Connection, client_order_id: str, events: Sequence[OrderEvent]) -> dict[str, Any]:
    """Store ``events`` after the order's last one; returns the intent row's new status (and reason) values."""
    if not events:
        return {}
    seq = conn.execute(
        select(func.max(t.order_events.c.seq)).where(t.order_events.c.client_order_id == client_order_id)
    ).scalar()
    _insert_events(conn, client_order_id, events, start=(seq or 0) + 1)
    values = {"status": events[-1].status.value}
    reasons = [e.detail for e in events if e.detail and e.kind not in _PLAIN]
    if reasons:
        values["status_reason"] = reasons[-1]
    return values


def _insert_events(conn: Connection, client_order_id: str, events: Sequence[OrderEvent], *, start: int) -> None:
    conn.execute(
        insert(t.order_events),
        [
            {
                "client_order_id": client_order_id,
                "seq": start + n,
                "kind": e.kind.value,
                "status": e.status.value,
                "detail": e.detail,
                "trade_id": e.trade_id,
                "amount": e.amount,
                "price": e.price,
                "created_at": _now(),
            }
            for n, e in enumerate(events)
        ],
    )


def tracked_rows(conn: Connection, where: Any) -> list[TrackedOrder]:
    i, o, f = t.order_intents.c, t.orders.c, t.fills.c
    rows = conn.execute(
        select(t.order_intents, o.order_id.label("venue_order_id"))
        .select_from(t.order_intents.outerjoin(t.orders, o.client_order_id == i.client_order_id))
        .where(where)
        .order_by(i.created_at, i.client_order_id)
    ).all()
    if not rows:
        return []
    ids = [r.client_order_id for r in rows]
    fills: dict[str, list[tuple[str, Decimal]]] = {}
    for chunk in range(0, len(ids), 500):
        for fr in conn.execute(
            select(f.client_order_id, f.trade_id, f.amount).where(f.client_order_id.in_(ids[chunk : chunk + 500]))
        ):
            fills.setdefault(fr.client_order_id, []).append((fr.trade_id, Decimal(fr.amount)))
    previous = _status_before_cancel(conn, [r.client_order_id for r in rows if r.status == OrderStatus.CANCEL_PENDING])
    out = []
    for r in rows:
        mine = fills.get(r.client_order_id, [])
        intent = intent_from_row(r)
        intent = _with_order_fields(intent, r)
        out.append(
            TrackedOrder(
                intent=intent,
                status=status_of(r.status),
                order_id=r.venue_order_id,
                filled=sum((a for _, a in mine), Decimal(0)),
                trade_ids=frozenset(tid for tid, _ in mine),
                reason=r.status_reason or "",
                attempts=int(r.attempts or 0),
                emulated=bool(r.emulated),
                arrival_price=dec(r.arrival_price),
                updated_ms=_epoch_ms(r.updated_at or r.created_at),
                previous_status=previous.get(r.client_order_id),
            )
        )
    return out


def _status_before_cancel(conn: Connection, ids: list[str]) -> dict[str, OrderStatus | None]:
    """For orders in CANCEL_PENDING: the status a rejected cancel returns them to, replayed from their events."""
    e = t.order_events.c
    events: dict[str, list[OrderEvent]] = {}
    for chunk in range(0, len(ids), 500):
        query = select(e.client_order_id, e.kind, e.status).where(e.client_order_id.in_(ids[chunk : chunk + 500]))
        for r in conn.execute(query.order_by(e.client_order_id, e.seq)):
            events.setdefault(r.client_order_id, []).append(
                OrderEvent(r.client_order_id, EventKind(r.kind), OrderStatus(r.status))
            )
    return {cid: status_before_cancel(evs) for cid, evs in events.items()}


def _epoch_ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite gives naive UTC back
    return int(aware.timestamp() * 1000)


def _with_order_fields(intent: OrderIntent, row: Any) -> OrderIntent:
    """The 0006 columns (order type details) on top of ``intent_from_row``."""
    return replace(
        intent,
        limit_price=dec(row.limit_price),
        stop_price=dec(row.stop_price),
        time_in_force=TimeInForce(row.time_in_force or "GTC"),
        expires_at_ms=int(row.expires_at_ms) if row.expires_at_ms is not None else None,
    )
