"""Find out what the venue did with an order — by client id, by venue id, or by matching recent trades.

Only read-only calls (retried with backoff through the ``Pacer``); nothing here ever sends an order.
"""

from __future__ import annotations

import logging
from typing import Any

from tradepipe.core import venue_mapping
from tradepipe.core.execution.journal import Journal
from tradepipe.core.execution.pacing import Pacer
from tradepipe.core.execution.report import ExecutionReport
from tradepipe.core.execution.slippage import realised_bps
from tradepipe.core.execution.states import fold, venue_events
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.orders import EventKind, Order, OrderStatus, TrackedOrder
from tradepipe.errors import InvalidTransition, TransientVenueError, VenueRejected

log = logging.getLogger(__name__)


def with_trades(gateway: VenueGateway, pacer: Pacer, order: TrackedOrder, raw: dict[str, Any]) -> Order:
    """The venue's order in our types, with its trades (from the order, else from ``fetch_my_trades``)."""
    trades = raw.get("trades")
    if not trades and float(raw.get("filled") or 0.0) > 0:
        try:
            mine = pacer.read(gateway.name, lambda: gateway.fetch_my_trades(order.intent.symbol), "fetch_my_trades")
            trades = [t for t in mine if str(t.get("order")) == str(raw["id"])]
        except (TransientVenueError, VenueRejected) as exc:
            log.warning("trades of %s unavailable (%s); the next lookup records them", order.client_order_id, exc)
            trades = []
    return venue_mapping.order(gateway.name, raw, order.client_order_id, list(trades or []))


def find(gateway: VenueGateway, pacer: Pacer, order: TrackedOrder) -> dict[str, Any] | None:
    """The venue's current view of ``order``, or None when the venue has no such order.

    By client id where the venue supports it; else by the venue id once known; else by matching the client id
    in open orders and recent trades (raises ``TransientVenueError`` when the venue cannot be asked now).
    """
    intent, cid = order.intent, order.client_order_id
    if gateway.capabilities.fetch_order_by_client_id:
        return pacer.read(gateway.name, lambda: gateway.fetch_order_by_client_id(cid, intent.symbol), "lookup")
    if order.order_id is not None:
        return pacer.read(gateway.name, lambda: gateway.fetch_order(order.order_id or "", intent.symbol), "fetch_order")
    open_orders = pacer.read(gateway.name, lambda: gateway.fetch_open_orders(intent.symbol), "fetch_open_orders")
    for raw in open_orders:
        if raw.get("clientOrderId") == cid:
            return raw
    trades = pacer.read(gateway.name, lambda: gateway.fetch_my_trades(intent.symbol), "fetch_my_trades")
    return _order_from_trades(order, [t for t in trades if t.get("clientOrderId") == cid])


def _order_from_trades(order: TrackedOrder, trades: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A ccxt order rebuilt from its trades (venues that cannot look orders up by client id)."""
    if not trades:
        return None
    intent = order.intent
    filled = sum(float(t["amount"]) for t in trades)
    done = filled >= float(intent.amount) * (1 - 1e-12)
    return {
        "id": str(trades[0]["order"]),
        "clientOrderId": order.client_order_id,
        "symbol": intent.symbol,
        "side": intent.side.value,
        "type": trades[0].get("type") or "market",
        "amount": float(intent.amount),
        "filled": filled,
        "average": sum(float(t["amount"]) * float(t["price"]) for t in trades) / filled,
        "timestamp": min(int(t["timestamp"]) for t in trades),
        "status": "closed" if done else ("canceled" if intent.order_type.value == "market" else "open"),
        "trades": trades,
    }


def record_venue_order(
    order: TrackedOrder, venue_order: Order, journal: Journal, report: ExecutionReport
) -> TrackedOrder:
    """Fold the venue's report into events and store them with the order and its new fills (one transaction).

    If the report contradicts the state table (a venue glitch), the fills are still stored — a fill is never
    dropped — and the order keeps its status.
    """
    try:
        after, events = venue_events(order, venue_order)
    except InvalidTransition as exc:
        log.error(
            "order %s: venue report %s does not fit the state table (%s)",
            order.client_order_id,
            venue_order.status,
            exc,
        )
        after, events = order, []
    fills = [f for f in venue_order.fills if f.trade_id in after.trade_ids]
    slippage = realised_bps(order.intent.side, fills, order.arrival_price)
    new = journal.record(order.client_order_id, events, venue_order, slippage_bps=slippage)
    report.new_fills += len(new)
    if new and order.client_order_id not in report.filled:
        report.filled.append(order.client_order_id)
    return after


def resolve(
    order: TrackedOrder,
    gateway: VenueGateway,
    journal: Journal,
    pacer: Pacer,
    report: ExecutionReport,
    *,
    conclude_missing: bool,
) -> TrackedOrder | None:
    """Look ``order`` up and record what the venue says. None when the venue cannot tell us now.

    With ``conclude_missing`` an order the venue does not have is closed (NOT_FOUND: it was never taken);
    without it (right after a timeout, when a real venue may not show the order yet) it stays as it is.
    """
    try:
        raw = find(gateway, pacer, order)
    except (TransientVenueError, VenueRejected) as exc:
        log.warning("lookup of %s failed (%s); left for the next run", order.client_order_id, exc)
        return None
    if raw is None:
        if not conclude_missing:
            return None
        detail = "the venue has no order with this client id: it was never placed"
        if order.status is OrderStatus.INITIALIZED:
            detail = "never sent (the process stopped before the send)"
        after, events = fold(order, [(EventKind.NOT_FOUND, detail, None)])
        journal.record(order.client_order_id, events)
        report.abandoned.append(order.client_order_id)
        return after
    return record_venue_order(order, with_trades(gateway, pacer, order, raw), journal, report)
