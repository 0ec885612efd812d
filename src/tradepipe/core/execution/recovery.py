"""Recovery, cancels and emulated stops — the API other stages use (reconcile, manage, emergency stop).

* ``recover_unresolved(gateways, journal)``: every order not in a terminal status is looked up and brought to
  what the venue says (fills recorded once each). Orders the venue never took are closed. Nothing is resent.
* ``cancel_all_open_orders(gateways, journal)``: cancel every working order (emergency stop); a cancel that
  loses the race to a fill ends FILLED, a cancel that times out stays CANCEL_PENDING until the next lookup.
* ``trigger_emulated_stops(gateways, journal, marks)``: send the emulated stops whose trigger the mark crossed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal

from tradepipe.core.execution import lookup
from tradepipe.core.execution.journal import Journal
from tradepipe.core.execution.pacing import ExecutionPolicy, Pacer
from tradepipe.core.execution.placement import send
from tradepipe.core.execution.report import ExecutionReport
from tradepipe.core.execution.states import fold
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.orders import EventKind, OrderStatus, Side, TrackedOrder
from tradepipe.errors import OrderOutcomeUnknown, TransientVenueError, VenueRejected

log = logging.getLogger(__name__)
S, E = OrderStatus, EventKind
WORKING = frozenset({S.ACCEPTED, S.PARTIALLY_FILLED})


def recover_unresolved(
    gateways: Mapping[str, VenueGateway],
    journal: Journal,
    *,
    policy: ExecutionPolicy | None = None,
    pacer: Pacer | None = None,
    now_ms: int | None = None,
) -> ExecutionReport:
    """Bring every non-terminal order up to date with its venue, by lookup only (see the module docstring).

    An order the venue does not show is closed as never taken only once its last change is older than
    ``policy.not_found_grace_s`` at ``now_ms`` (wall clock; a live venue may list a new order late).
    """
    pacer = pacer or Pacer(policy or ExecutionPolicy())
    grace_ms = pacer.policy.not_found_grace_s * 1000
    report = ExecutionReport()
    for order in journal.open_orders():
        gateway = gateways.get(order.intent.venue)
        if gateway is None or (order.emulated and order.status is S.INITIALIZED):
            continue
        settled = grace_ms <= 0 or now_ms is None or order.updated_ms is None or now_ms - order.updated_ms >= grace_ms
        after = lookup.resolve(order, gateway, journal, pacer, report, conclude_missing=settled)
        if after is not None and after.status is not order.status and order.client_order_id not in report.abandoned:
            report.recovered.append(order.client_order_id)
    return report


def cancel_order(
    order: TrackedOrder, gateway: VenueGateway, journal: Journal, pacer: Pacer, report: ExecutionReport, reason: str
) -> TrackedOrder:
    """Cancel one order; the venue's answer (or a lookup after a failed cancel) decides the final event."""
    cid = order.client_order_id
    if order.status is S.INITIALIZED:  # never sent (an armed emulated stop): withdraw locally
        after, events = fold(order, [(E.CANCELED, reason, None)])
        journal.record(cid, events)
        report.canceled.append(cid)
        return after
    if order.status in WORKING:
        order, events = fold(order, [(E.CANCEL_REQUESTED, reason, None)])
        journal.record(cid, events)
    if order.status is not S.CANCEL_PENDING or order.order_id is None:
        return order
    pacer.wait_for(gateway.name)
    try:
        gateway.cancel_order(order.order_id, order.intent.symbol)
    except OrderOutcomeUnknown as exc:
        log.warning("cancel of %s timed out (%s); the next lookup settles it", cid, exc)
        return order
    except (VenueRejected, TransientVenueError) as exc:
        log.info("cancel of %s refused (%s): looking up what happened", cid, exc)
    after = lookup.resolve(order, gateway, journal, pacer, report, conclude_missing=False) or order
    if after.status is S.CANCELED:
        report.canceled.append(cid)
    return after


def cancel_all_open_orders(
    gateways: Mapping[str, VenueGateway],
    journal: Journal,
    *,
    reason: str = "cancel all open orders",
    venue: str | None = None,
    pacer: Pacer | None = None,
) -> ExecutionReport:
    """Cancel every working order (and disarm emulated stops), optionally on one venue only.

    Orders whose outcome is still UNKNOWN are looked up first, and canceled if they turn out to be working.
    """
    pacer = pacer or Pacer()
    report = ExecutionReport()
    for order in journal.open_orders():
        gateway = gateways.get(order.intent.venue)
        if gateway is None or (venue is not None and order.intent.venue != venue):
            continue
        if order.status in (S.UNKNOWN, S.SUBMITTED):
            order = lookup.resolve(order, gateway, journal, pacer, report, conclude_missing=False) or order
        if (
            order.status in WORKING
            or order.status is S.CANCEL_PENDING
            or (order.status is S.INITIALIZED and order.emulated)
        ):
            cancel_order(order, gateway, journal, pacer, report, reason)
    return report


def trigger_emulated_stops(
    gateways: Mapping[str, VenueGateway],
    journal: Journal,
    marks: Mapping[tuple[str, str], Decimal],
    *,
    pacer: Pacer | None = None,
) -> ExecutionReport:
    """Send, as a market order under its own client id, every armed emulated stop the mark has crossed."""
    pacer = pacer or Pacer()
    report = ExecutionReport()
    for order in journal.open_orders():
        intent = order.intent
        if not (order.emulated and order.status is S.INITIALIZED and intent.stop_price is not None):
            continue
        mark = marks.get((intent.venue, intent.symbol))
        crossed = mark is not None and (
            mark <= intent.stop_price if intent.side is Side.SELL else mark >= intent.stop_price
        )
        if crossed and intent.venue in gateways:
            send(order, gateways[intent.venue], journal, pacer, report)
    return report
