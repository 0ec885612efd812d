"""The order state machine as data: one table of ``(status, event) -> status`` and one ``apply``.

A venue's report of an order is turned into the events that lead there from what we knew (``venue_events``),
so every change of an order's status is an event in ``order_events`` and passes through ``apply``. One edge
leads to ``PREVIOUS``, the status the order had before CANCEL_PENDING (NautilusTrader's ``previous_status``):
a rejected cancel puts a partly filled order back to PARTIALLY_FILLED, an untouched one back to ACCEPTED.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Final

from tradepipe.domain.orders import EventKind, Fill, Order, OrderEvent, OrderStatus, TrackedOrder
from tradepipe.errors import InvalidTransition

S, E = OrderStatus, EventKind


class Previous(Enum):
    """A table target that is not a fixed status: the one the order had before CANCEL_PENDING."""

    STATUS = "previous status"


PREVIOUS: Final = Previous.STATUS

TRANSITIONS: Mapping[tuple[OrderStatus, EventKind], OrderStatus | Previous] = MappingProxyType(
    {
        # sending
        (S.INITIALIZED, E.SUBMITTED): S.SUBMITTED,
        (S.INITIALIZED, E.CANCELED): S.CANCELED,  # withdrawn before it was sent (stale, emulated stop disarmed)
        (S.INITIALIZED, E.DENIED): S.DENIED,  # refused before it was sent (slippage guard, rate-limit give-up)
        (S.INITIALIZED, E.NOT_FOUND): S.CANCELED,  # a crash before the send: the venue never saw it
        (S.SUBMITTED, E.DEFERRED): S.INITIALIZED,  # rate limited: not taken, may be sent again
        (S.SUBMITTED, E.TIMED_OUT): S.UNKNOWN,
        (S.SUBMITTED, E.ACCEPTED): S.ACCEPTED,
        (S.SUBMITTED, E.REJECTED): S.REJECTED,
        (S.SUBMITTED, E.NOT_FOUND): S.REJECTED,  # a crash during the send, and the venue has nothing
        # resolving an unknown outcome by lookup
        (S.UNKNOWN, E.ACCEPTED): S.ACCEPTED,
        (S.UNKNOWN, E.REJECTED): S.REJECTED,
        (S.UNKNOWN, E.NOT_FOUND): S.REJECTED,
        # fills
        (S.ACCEPTED, E.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
        (S.ACCEPTED, E.FILLED): S.FILLED,
        (S.PARTIALLY_FILLED, E.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
        (S.PARTIALLY_FILLED, E.FILLED): S.FILLED,
        # ends of a working order
        (S.ACCEPTED, E.CANCELED): S.CANCELED,
        (S.ACCEPTED, E.EXPIRED): S.EXPIRED,
        (S.PARTIALLY_FILLED, E.CANCELED): S.CANCELED,
        (S.PARTIALLY_FILLED, E.EXPIRED): S.EXPIRED,
        # canceling, and losing the race to a fill
        (S.ACCEPTED, E.CANCEL_REQUESTED): S.CANCEL_PENDING,
        (S.PARTIALLY_FILLED, E.CANCEL_REQUESTED): S.CANCEL_PENDING,
        (S.CANCEL_PENDING, E.CANCELED): S.CANCELED,
        (S.CANCEL_PENDING, E.EXPIRED): S.EXPIRED,
        (S.CANCEL_PENDING, E.PARTIALLY_FILLED): S.CANCEL_PENDING,
        (S.CANCEL_PENDING, E.FILLED): S.FILLED,
        (S.CANCEL_PENDING, E.CANCEL_REJECTED): PREVIOUS,  # the cancel did not happen: back to how it was
    }
)


def next_status(status: OrderStatus, kind: EventKind, previous: OrderStatus | None = None) -> OrderStatus:
    """The status ``kind`` leads to from ``status`` (``previous``: the status before CANCEL_PENDING).

    ``InvalidTransition`` when the table has no such edge, or the edge leads to ``PREVIOUS`` and none is known.
    """
    try:
        target = TRANSITIONS[(status, kind)]
    except KeyError:
        raise InvalidTransition(f"order event {kind.value!r} is not allowed in status {status.value!r}") from None
    if target is not PREVIOUS:
        return target
    if previous is None:
        raise InvalidTransition(f"order event {kind.value!r} in {status.value!r}: the status before it is unknown")
    return previous


def remembered(
    status: OrderStatus | None, previous: OrderStatus | None, kind: EventKind, after: OrderStatus
) -> OrderStatus | None:
    """The ``previous_status`` once ``kind`` took an order from ``status`` to ``after``.

    Entering CANCEL_PENDING remembers the status it left; an event that keeps the order pending (a fill that
    races the cancel) moves the remembered status along the table too; leaving CANCEL_PENDING forgets it.
    """
    if after is not S.CANCEL_PENDING:
        return None
    if status is not S.CANCEL_PENDING:
        return status
    moved = TRANSITIONS.get((previous, kind)) if previous is not None else None
    return moved if isinstance(moved, OrderStatus) else previous


def status_before_cancel(events: Sequence[OrderEvent]) -> OrderStatus | None:
    """An order's ``previous_status`` from its stored events (oldest first), as ``apply`` would have kept it."""
    status: OrderStatus | None = None
    previous: OrderStatus | None = None
    for ev in events:
        previous = remembered(status, previous, ev.kind, ev.status)
        status = ev.status
    return previous


def apply(order: TrackedOrder, event: OrderEvent) -> TrackedOrder:
    """The order after ``event``; ``InvalidTransition`` for another order's event, a missing edge or a wrong status."""
    if event.client_order_id != order.client_order_id:
        raise InvalidTransition(f"event for {event.client_order_id!r} applied to order {order.client_order_id!r}")
    status = next_status(order.status, event.kind, order.previous_status)
    if event.status is not status:
        raise InvalidTransition(f"event {event.kind.value!r} from {order.status.value!r} leads to {status.value!r}")
    filled, trade_ids = order.filled, order.trade_ids
    if event.trade_id is not None and event.trade_id not in trade_ids:
        filled += event.amount or Decimal(0)
        trade_ids = trade_ids | {event.trade_id}
    reason = event.detail if event.kind in _REASONED else order.reason
    previous = remembered(order.status, order.previous_status, event.kind, status)
    return dataclasses.replace(
        order, status=status, filled=filled, trade_ids=trade_ids, reason=reason, previous_status=previous
    )


_REASONED = frozenset(
    {E.DENIED, E.REJECTED, E.NOT_FOUND, E.CANCELED, E.EXPIRED, E.CANCEL_REJECTED, E.DEFERRED, E.TIMED_OUT}
)


def event(order: TrackedOrder, kind: EventKind, detail: str = "", fill: Fill | None = None) -> OrderEvent:
    """The event ``kind`` for ``order``, its resulting status looked up in the table (raises if illegal)."""
    return OrderEvent(
        client_order_id=order.client_order_id,
        kind=kind,
        status=next_status(order.status, kind, order.previous_status),
        detail=detail,
        trade_id=fill.trade_id if fill else None,
        amount=fill.amount if fill else None,
        price=fill.price if fill else None,
    )


def fold(
    order: TrackedOrder, kinds: Sequence[tuple[EventKind, str, Fill | None]]
) -> tuple[TrackedOrder, list[OrderEvent]]:
    """Apply ``(kind, detail, fill)`` steps in order; returns the final order and the events to store."""
    events = []
    for kind, detail, fill in kinds:
        ev = event(order, kind, detail, fill)
        order = apply(order, ev)
        events.append(ev)
    return order, events


def venue_events(order: TrackedOrder, venue: Order) -> tuple[TrackedOrder, list[OrderEvent]]:
    """The events that take ``order`` to what the venue reports in ``venue`` (its status and its fills).

    Fills already known (by trade id) are skipped; each new fill is one PARTIALLY_FILLED or FILLED event. A
    venue that says "closed" without showing every trade is left PARTIALLY_FILLED: fills are never invented.
    """
    steps: list[tuple[EventKind, str, Fill | None]] = []
    status = order.status
    if status is S.INITIALIZED:
        steps.append((E.SUBMITTED, "found at the venue by client id", None))
        status = S.SUBMITTED
    if status in (S.SUBMITTED, S.UNKNOWN):
        if venue.status is S.REJECTED:
            return fold(order, [*steps, (E.REJECTED, venue.reason or "rejected by the venue", None)])
        steps.append((E.ACCEPTED, "", None))
        status = S.ACCEPTED
    filled = order.filled
    for fill in sorted(venue.fills, key=lambda f: (f.timestamp_ms, f.trade_id)):
        if fill.trade_id in order.trade_ids:
            continue
        filled += fill.amount
        steps.append((E.FILLED if filled >= venue.amount else E.PARTIALLY_FILLED, "", fill))
    complete = filled >= venue.amount
    if complete and status in _FILLABLE and not any(kind is E.FILLED for kind, _, _ in steps):
        # every fill is booked already (imported by reconciliation without an event, before that was recorded)
        steps.append((E.FILLED, f"{filled} of {venue.amount} filled: every fill already in the ledger", None))
    if status is S.CANCEL_PENDING and venue.status in (S.ACCEPTED, S.PARTIALLY_FILLED) and not complete:
        steps.append((E.CANCEL_REJECTED, "the venue still shows the order open", None))
    if not complete and venue.status in (S.CANCELED, S.EXPIRED):
        kind = E.CANCELED if venue.status is S.CANCELED else E.EXPIRED
        steps.append((kind, venue.reason or f"{venue.status.value} at the venue with {filled} filled", None))
    return fold(order, steps)


_FILLABLE = frozenset({S.ACCEPTED, S.PARTIALLY_FILLED, S.CANCEL_PENDING})


def fill_events(order: TrackedOrder, fill: Fill, detail: str) -> tuple[TrackedOrder, list[OrderEvent]]:
    """The events that take ``order`` to include ``fill`` (a venue trade booked without the venue's order report,
    e.g. imported by reconciliation): a fill proves the venue took the order, so a SUBMITTED, UNKNOWN or even
    INITIALIZED order is first ACCEPTED; then PARTIALLY_FILLED, or FILLED once the fills reach the order amount.
    Raises ``InvalidTransition`` for an order already terminal (the caller books the fill alone)."""
    steps: list[tuple[EventKind, str, Fill | None]] = []
    if order.status is S.INITIALIZED:
        steps.append((E.SUBMITTED, detail, None))
    if order.status in (S.INITIALIZED, S.SUBMITTED, S.UNKNOWN):
        steps.append((E.ACCEPTED, detail, None))
    done = order.filled + fill.amount >= order.intent.amount
    steps.append((E.FILLED if done else E.PARTIALLY_FILLED, detail, fill))
    return fold(order, steps)
