"""Idempotent placement: commit the intent, send once, record every event; never resend an unknown outcome.

Per order: ``add_intent`` commits the intent row already SUBMITTED (events ``initialized``, ``submitted``) in one
transaction; then ONE ``create_order``. Errors by
class (``tradepipe.errors``):

* ``RateLimited`` — the venue did not take it: DEFERRED back to INITIALIZED, the venue backs off, and the same
  client id is sent again in a later round (up to ``rate_limit_rounds``; then DENIED, never sent);
* ``InsufficientFunds`` — REJECTED with the venue's reason, then the balance is read again and the order
  re-sized under a derived client id (once), never blindly retried;
* ``VenueRejected`` — REJECTED with the venue's reason;
* ``OrderOutcomeUnknown`` / ``TransientVenueError`` — UNKNOWN: looked up by client id (read retries), and if
  the venue does not show it yet, left for ``recover_unresolved`` in a later run. Never sent again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tradepipe.core import venue_mapping
from tradepipe.core.execution import lookup
from tradepipe.core.execution.ids import derived_id
from tradepipe.core.execution.journal import Journal
from tradepipe.core.execution.pacing import ExecutionPolicy, Pacer
from tradepipe.core.execution.report import ExecutionReport
from tradepipe.core.execution.routing import Leg, MarketsCache, estimate, route
from tradepipe.core.execution.slippage import guard
from tradepipe.core.execution.states import fold
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.money import round_down_to_step, to_decimal
from tradepipe.domain.orders import EventKind, OrderIntent, OrderStatus, OrderType, Side, TimeInForce, TrackedOrder
from tradepipe.errors import InsufficientFunds, OrderOutcomeUnknown, RateLimited, TransientVenueError, VenueRejected

log = logging.getLogger(__name__)
E = EventKind


def execute_intents(
    intents: Sequence[OrderIntent],
    gateways: Mapping[str, VenueGateway],
    journal: Journal,
    *,
    policy: ExecutionPolicy | None = None,
    pacer: Pacer | None = None,
    avoid: frozenset[tuple[str, str]] = frozenset(),
) -> ExecutionReport:
    """Place each intent at most once (guarded, routed); the intent row is committed before any venue call.

    ``avoid``: (venue, symbol) pairs routing must not move an entry to (e.g. already held there).
    """
    policy = policy or ExecutionPolicy()
    pacer = pacer or Pacer(policy)
    report = ExecutionReport()
    markets = MarketsCache(gateways, pacer)
    queue: list[TrackedOrder] = []
    for intent in intents:
        if journal.tracked(intent.client_order_id) is not None:
            report.skipped_duplicates.append(intent.client_order_id)
            continue
        for leg in _legs(intent, gateways, pacer, markets, policy, report, avoid):
            order = _commit(leg, gateways[leg.intent.venue], journal, pacer, policy, report)
            if order is not None:
                queue.append(order)
    for round_ in range(max(1, policy.rate_limit_rounds)):
        queue = [d for o in queue if (d := send(o, gateways[o.intent.venue], journal, pacer, report)) is not None]
        if not queue:
            break
        log.info("round %d: %d order(s) rate limited; backing off", round_ + 1, len(queue))
    for order in queue:
        deny(order, f"withdrawn: still rate limited after {policy.rate_limit_rounds} round(s)", journal, report)
    return report


def _legs(
    intent: OrderIntent,
    gateways: Mapping[str, VenueGateway],
    pacer: Pacer,
    markets: MarketsCache,
    policy: ExecutionPolicy,
    report: ExecutionReport,
    avoid: frozenset[tuple[str, str]],
) -> list[Leg]:
    if intent.order_type is not OrderType.MARKET:
        return [Leg(intent, None)]
    try:
        legs = route(intent, gateways, pacer, markets, enabled=policy.routing == "best", avoid=avoid)
    except (TransientVenueError, VenueRejected) as exc:
        return [Leg(intent, None, f"routing skipped: {exc}")]
    for leg in legs:
        if leg.reason:
            report.routed.append((leg.intent.client_order_id, leg.reason))
    return legs


def _commit(
    leg: Leg,
    gateway: VenueGateway,
    journal: Journal,
    pacer: Pacer,
    policy: ExecutionPolicy,
    report: ExecutionReport,
) -> TrackedOrder | None:
    """Guard the leg, commit its intent row; the order to send, or None (duplicate, denied, armed stop)."""
    intent, note = leg.intent, leg.reason
    est = leg.estimate
    if intent.order_type is OrderType.MARKET:
        if est is None:
            try:
                est = estimate(gateway, pacer, intent.side, intent.symbol, intent.amount)
            except (TransientVenueError, VenueRejected):
                est = None
        guarded = guard(intent, est, policy)
        note = "; ".join(n for n in (note, guarded.note) if n)
        intent = guarded.intent or intent
        if guarded.intent is None:
            if journal.add_intent(intent, route=note, arrival_price=est.mid if est else None):
                deny(_tracked(intent, est.mid if est else None), guarded.note, journal, report)
            return None
    emulated = intent.order_type is OrderType.STOP_LOSS and not gateway.capabilities.supports_stop_orders
    arrival = est.mid if est else None
    expected = est.slippage_bps if est and est.slippage_bps != float("inf") else None
    if not journal.add_intent(
        intent,
        emulated=emulated,
        submitted=not emulated,
        route=note,
        arrival_price=arrival,
        expected_slippage_bps=expected,
    ):
        report.skipped_duplicates.append(intent.client_order_id)
        return None
    if emulated:
        report.armed.append(intent.client_order_id)
        return None
    return submitted(intent, arrival)


def _tracked(intent: OrderIntent, arrival: Decimal | None) -> TrackedOrder:
    return TrackedOrder(intent=intent, status=OrderStatus.INITIALIZED, arrival_price=arrival)


def deny(order: TrackedOrder, detail: str, journal: Journal, report: ExecutionReport) -> None:
    """Record an order that was never sent (guard, give-up) as DENIED, with why."""
    _, events = fold(order, [(E.DENIED, detail, None)])
    journal.record(order.client_order_id, events)
    report.denied.append((order.client_order_id, detail))


def submitted(intent: OrderIntent, arrival: Decimal | None) -> TrackedOrder:
    """An order whose intent row was committed already SUBMITTED (``add_intent(submitted=True)``)."""
    return TrackedOrder(intent=intent, status=OrderStatus.SUBMITTED, arrival_price=arrival, attempts=1)


def create_args(intent: OrderIntent, *, emulated: bool = False) -> tuple[str, float | None, dict[str, Any]]:
    """The ccxt ``create_order`` type, price and params of ``intent`` (a triggered emulated stop is a market order)."""
    params: dict[str, Any] = {"clientOrderId": intent.client_order_id}
    if intent.order_type is OrderType.STOP_LOSS and not emulated:
        params["triggerPrice"] = float(intent.stop_price or 0)
        return "market", None, params
    if intent.order_type is OrderType.LIMIT:
        params["timeInForce"] = intent.time_in_force.value
        if intent.time_in_force is TimeInForce.GTD and intent.expires_at_ms is not None:
            params["expireTime"] = intent.expires_at_ms
        return "limit", float(intent.limit_price or 0), params
    return "market", None, params


def send(
    order: TrackedOrder,
    gateway: VenueGateway,
    journal: Journal,
    pacer: Pacer,
    report: ExecutionReport,
    extra: Mapping[str, Any] | None = None,
) -> TrackedOrder | None:
    """Send one committed order once (``extra``: venue params such as a DEX priority fee).

    An INITIALIZED order (a deferred one, a triggered emulated stop) gets its SUBMITTED event committed first;
    one committed SUBMITTED with its intent goes straight out. Returns the order again only when it was rate
    limited (not taken: it may be sent again).
    """
    intent, cid = order.intent, order.client_order_id
    if order.status is OrderStatus.INITIALIZED:
        attempts = order.attempts + 1
        order, events = fold(order, [(E.SUBMITTED, f"attempt {attempts}", None)])
        order = dataclasses.replace(order, attempts=attempts)
        journal.record(cid, events, attempts=attempts)
    type_, price, params = create_args(intent, emulated=order.emulated)
    params.update(extra or {})
    pacer.wait_for(gateway.name)
    try:
        raw = gateway.create_order(intent.symbol, type_, intent.side.value, float(intent.amount), price, params)
    except RateLimited as exc:
        backoff = pacer.rate_limited(gateway.name, getattr(exc, "retry_after_s", None))
        order, events = fold(order, [(E.DEFERRED, f"rate limited (not taken), backoff {backoff:.2f}s: {exc}", None)])
        journal.record(cid, events)
        if cid not in report.deferred:
            report.deferred.append(cid)
        return order
    except VenueRejected as exc:
        _, events = fold(order, [(E.REJECTED, exc.reason, None)])
        journal.record(cid, events)
        report.rejected.append((cid, exc.reason))
        if isinstance(exc, InsufficientFunds) and pacer.policy.resize_on_insufficient_funds:
            _resize(order, gateway, journal, pacer, report)
        return None
    except (OrderOutcomeUnknown, TransientVenueError) as exc:
        log.warning("order %s outcome unknown (%s); looking it up, never resending", cid, exc)
        order, events = fold(order, [(E.TIMED_OUT, str(exc), None)])
        journal.record(cid, events)
        if lookup.resolve(order, gateway, journal, pacer, report, conclude_missing=False) is None:
            report.unknown.append(cid)
        return None
    pacer.succeeded(gateway.name)
    report.placed.append(cid)
    lookup.record_venue_order(order, lookup.with_trades(gateway, pacer, order, raw), journal, report)
    return None


def _resize(
    order: TrackedOrder, gateway: VenueGateway, journal: Journal, pacer: Pacer, report: ExecutionReport
) -> None:
    """After InsufficientFunds: read the balance again and send what it pays for, once, under a derived id."""
    intent = order.intent
    if intent.reason.startswith("re-sized"):
        return
    try:
        balance = pacer.read(gateway.name, gateway.fetch_balance, "fetch_balance")
        market = pacer.read(gateway.name, gateway.load_markets, "load_markets").get(intent.symbol)
    except (TransientVenueError, VenueRejected) as exc:
        log.warning("re-size of %s skipped: %s", intent.client_order_id, exc)
        return
    if market is None:
        return
    rules = venue_mapping.market_rules(market)
    asset = market["quote"] if intent.side is Side.BUY else market["base"]
    free = to_decimal(float((balance.get("free") or {}).get(asset) or 0.0))
    price = order.arrival_price or intent.reference_price
    if intent.side is Side.BUY:
        fee = to_decimal(float(gateway.capabilities.taker_fee))
        affordable = free / (price * (1 + fee) * Decimal("1.002")) if price > 0 else Decimal(0)  # 20 bps headroom
    else:
        affordable = free
    amount = round_down_to_step(min(affordable, intent.amount), rules.amount_quantum)
    if amount <= 0 or amount < rules.min_amount or amount * price < rules.min_cost or amount >= intent.amount:
        log.info(
            "re-size of %s: free %s %s pays for no order above the venue minimum", intent.client_order_id, free, asset
        )
        return
    resized = dataclasses.replace(
        intent,
        client_order_id=derived_id(intent.client_order_id, "resize"),
        amount=amount,
        reason=f"re-sized from {intent.amount} after insufficient funds (free {free} {asset})",
    )
    if not journal.add_intent(resized, submitted=True, route="re-size", arrival_price=order.arrival_price):
        return
    report.resized.append((intent.client_order_id, resized.client_order_id))
    send(submitted(resized, order.arrival_price), gateway, journal, pacer, report)
