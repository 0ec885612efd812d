"""Idempotent placement: commit the intent, send once, record the outcome; recover by lookup, never resend."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tradepipe.core import venue_mapping
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.orders import Fill, Order, OrderIntent
from tradepipe.errors import OrderOutcomeUnknown, TransientVenueError, VenueRejected

log = logging.getLogger(__name__)


class Journal(Protocol):
    """What placement needs from the ledger."""

    def add_intent(self, intent: OrderIntent) -> bool: ...

    def set_intent_status(self, client_order_id: str, status: str) -> None: ...

    def record_order(self, order: Order) -> list[Fill]: ...

    def unresolved_intents(self) -> list[OrderIntent]: ...


@dataclass(slots=True)
class ExecutionReport:
    placed: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    skipped_duplicates: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    new_fills: int = 0


def execute_intents(
    intents: Sequence[OrderIntent], gateways: Mapping[str, VenueGateway], journal: Journal
) -> ExecutionReport:
    """Place each intent at most once. The intent row is committed before the venue is called."""
    report = ExecutionReport()
    for intent in intents:
        if not journal.add_intent(intent):
            report.skipped_duplicates.append(intent.client_order_id)
            continue
        gateway = gateways[intent.venue]
        try:
            raw = gateway.create_order(
                intent.symbol,
                intent.order_type.value,
                intent.side.value,
                float(intent.amount),
                None,
                {"clientOrderId": intent.client_order_id},
            )
        except VenueRejected as exc:
            journal.set_intent_status(intent.client_order_id, "rejected")
            report.rejected.append((intent.client_order_id, exc.reason))
            continue
        except (OrderOutcomeUnknown, TransientVenueError) as exc:
            log.warning("order %s outcome unknown (%s); will look it up", intent.client_order_id, exc)
            journal.set_intent_status(intent.client_order_id, "sent")
            report.unknown.append(intent.client_order_id)
            continue
        report.placed.append(intent.client_order_id)
        order = _order_with_trades(gateway, intent, raw)
        report.new_fills += len(journal.record_order(order))
        if order.filled > 0:
            report.filled.append(intent.client_order_id)
    return report


def recover_unresolved(gateways: Mapping[str, VenueGateway], journal: Journal) -> ExecutionReport:
    """Resolve intents left pending/sent by a crash or timeout by asking the venue about their client id."""
    report = ExecutionReport()
    for intent in journal.unresolved_intents():
        gateway = gateways.get(intent.venue)
        if gateway is None:
            continue
        try:
            raw = gateway.fetch_order_by_client_id(intent.client_order_id, intent.symbol)
        except TransientVenueError as exc:
            log.warning("lookup of %s failed (%s); left for the next run", intent.client_order_id, exc)
            continue
        if raw is None:
            journal.set_intent_status(intent.client_order_id, "abandoned")
            report.abandoned.append(intent.client_order_id)
            continue
        order = _order_with_trades(gateway, intent, raw)
        report.new_fills += len(journal.record_order(order))
        report.recovered.append(intent.client_order_id)
    return report


def _order_with_trades(gateway: VenueGateway, intent: OrderIntent, raw: dict[str, object]) -> Order:
    trades = raw.get("trades") or [
        t for t in gateway.fetch_my_trades(intent.symbol) if str(t.get("order")) == str(raw["id"])
    ]
    return venue_mapping.order(intent.venue, raw, intent.client_order_id, list(trades))  # type: ignore[arg-type]
