"""One venue of one account against the ledger, with a policy for every kind of difference.

Order matters: venue trades the ledger missed are imported first (``missing_fill`` → ``imported``), then
orders the ledger holds open but the venue does not list are looked up by client id once past the grace
window (``phantom_order`` → ``looked_up:<status>``; never assumed canceled), and only then are balances
compared — so whatever difference is left has no trade behind it and halts new entries (``halted``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from tradepipe.core import venue_mapping
from tradepipe.core.ports import VenueGateway
from tradepipe.core.positions.accounting import CostMethod, base_and_quote
from tradepipe.core.reconcile.compare import (
    HALTED,
    Diff,
    ReconciliationResult,
    compare_balances,
    position_differences,
    rebuild_positions,
)
from tradepipe.domain.money import ZERO, to_decimal
from tradepipe.domain.orders import Fill, Order
from tradepipe.domain.portfolio import Position
from tradepipe.errors import LedgerError, TransientVenueError

log = logging.getLogger(__name__)


class WorkingOrder(Protocol):
    """An order the ledger believes is working (read-only: the ledger's frozen record satisfies it)."""

    @property
    def order_id(self) -> str: ...
    @property
    def client_order_id(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def updated_at(self) -> datetime: ...


class ReconcileLedger(Protocol):
    """What reconciliation needs from one account's ledger view."""

    account: str

    def known_trade_ids(self, venue: str) -> set[str]: ...

    def known_client_ids(self, venue: str) -> set[str]: ...

    def import_fill(self, fill: Fill, *, run_id: str, reason: str) -> bool: ...

    def working_orders(self, venue: str) -> Sequence[WorkingOrder]: ...

    def record_order(self, order: Order) -> list[Fill]: ...

    def cash(self) -> dict[tuple[str, str], Decimal]: ...

    def open_positions(self) -> list[Position]: ...


@dataclass(frozen=True, slots=True)
class ReconcilePolicy:
    quote: str
    tolerance: Decimal = Decimal("1e-8")
    grace: timedelta = timedelta(seconds=60)
    lookback_ms: int = 7 * 24 * 3_600_000


def reconcile_venue(
    venue: str,
    gateway: VenueGateway,
    ledger: ReconcileLedger,
    policy: ReconcilePolicy,
    *,
    run_id: str,
    counterparty: str,
    now_ms: int,
    wall_now: datetime,
) -> ReconciliationResult:
    """Compare and resolve; the caller stores the result and halts entries if it is a mismatch."""
    diffs = _import_missing_fills(venue, gateway, ledger, run_id=run_id, since_ms=now_ms - policy.lookback_ms)
    diffs += _check_orders(venue, gateway, ledger, policy, wall_now)
    balances = compare_balances(
        venue, counterparty, holdings(ledger, venue), wallet_totals(gateway), quote=policy.quote,
        tolerance=policy.tolerance, account=ledger.account,
    )  # fmt: skip
    return ReconciliationResult(venue, counterparty, (*diffs, *balances.diffs), ledger.account)


def rebuild_check(
    stored: Sequence[Position], fills: Sequence[Fill], method: CostMethod
) -> tuple[list[Diff], list[Position]]:
    """Positions rebuilt from fills vs the materialised ones: a ``position_rebuild`` diff per disagreement
    (resolution ``rebuilt``) and the rebuilt positions to write back."""
    rebuilt = rebuild_positions(fills, method)
    diffs, replace = [], []
    for old, new in position_differences(stored, rebuilt):
        key = (old or new).key  # type: ignore[union-attr]
        expected = old.amount if old else ZERO
        actual = new.amount if new else ZERO
        detail = f"stored {_summary(old)} ≠ rebuilt {_summary(new)}"
        diffs.append(Diff("position_rebuild", key[1], expected, actual, "rebuilt", f"{key[0]}:{key[1]}", detail))
        if new is not None:
            replace.append(new)
    return diffs, replace


def holdings(ledger: ReconcileLedger, venue: str) -> dict[str, Decimal]:
    """What the ledger says ``venue`` holds per asset: cash rows plus open positions' base amounts."""
    held: dict[str, Decimal] = {}
    for (v, asset), amount in ledger.cash().items():
        if v == venue:
            held[asset] = held.get(asset, ZERO) + amount
    for position in ledger.open_positions():
        if position.venue == venue:
            base, _ = base_and_quote(position.symbol)
            held[base] = held.get(base, ZERO) + position.amount
    return held


def wallet_totals(gateway: VenueGateway) -> dict[str, Decimal]:
    totals: dict[str, Any] = gateway.fetch_balance().get("total", {}) or {}
    return {asset: to_decimal(float(total)) for asset, total in totals.items() if total}


def imported_client_id(account: str, venue: str, trade_id: str) -> str:
    """A deterministic client id for a venue trade that carries none we know."""
    return "rec" + hashlib.sha256(f"{account}|{venue}|{trade_id}".encode()).hexdigest()[:29]


def _import_missing_fills(
    venue: str, gateway: VenueGateway, ledger: ReconcileLedger, *, run_id: str, since_ms: int
) -> list[Diff]:
    known = ledger.known_trade_ids(venue)
    ours = ledger.known_client_ids(venue)
    trades = [t for t in gateway.fetch_my_trades(None, since_ms) if str(t["id"]) not in known]
    diffs = []
    for trade in sorted(trades, key=lambda t: (int(t["timestamp"]), str(t["id"]))):
        cid = trade.get("clientOrderId")
        client_id = str(cid) if cid and str(cid) in ours else imported_client_id(ledger.account, venue, trade["id"])
        fill = venue_mapping.fill(venue, trade, client_id)
        base, _ = base_and_quote(fill.symbol)
        reason = f"imported by reconciliation: {venue} trade {fill.trade_id} missing in the ledger"
        try:
            ledger.import_fill(fill, run_id=run_id, reason=reason)
            resolution, detail = "imported", f"{fill.side.value} {fill.amount} {fill.symbol} @ {fill.price}"
        except LedgerError as exc:
            resolution, detail = HALTED, f"cannot import: {exc}"
        signed = fill.amount if fill.side.value == "buy" else -fill.amount
        diffs.append(Diff("missing_fill", base, ZERO, signed, resolution, fill.trade_id, detail))
    return diffs


def _check_orders(
    venue: str, gateway: VenueGateway, ledger: ReconcileLedger, policy: ReconcilePolicy, wall_now: datetime
) -> list[Diff]:
    listed = gateway.fetch_open_orders()
    listed_ids = {str(o.get("clientOrderId") or "") for o in listed} | {str(o["id"]) for o in listed}
    diffs = []
    for order in ledger.working_orders(venue):
        if order.client_order_id in listed_ids or order.order_id in listed_ids:
            continue
        if wall_now - order.updated_at < policy.grace:
            continue  # may still be on its way: looked at again next run
        diffs.append(_look_up(venue, gateway, ledger, order))
    ours = ledger.known_client_ids(venue)
    for raw in listed:
        if str(raw.get("clientOrderId") or "") not in ours:
            base, _ = base_and_quote(str(raw["symbol"]))
            detail = f"{raw['side']} {raw['amount']} {raw['symbol']} open on {venue}, not placed by us"
            log.warning("reconcile %s: %s", venue, detail)
            amount = to_decimal(float(raw["amount"]))
            diffs.append(Diff("unknown_order", base, ZERO, amount, "reported", str(raw["id"]), detail))
    return diffs


def _look_up(venue: str, gateway: VenueGateway, ledger: ReconcileLedger, order: WorkingOrder) -> Diff:
    base, _ = base_and_quote(order.symbol)
    try:
        raw = gateway.fetch_order_by_client_id(order.client_order_id, order.symbol)
    except TransientVenueError as exc:
        return Diff("phantom_order", base, ZERO, ZERO, HALTED, order.client_order_id, f"lookup failed: {exc}")
    if raw is None:
        detail = f"ledger holds {order.status}, the venue has no order with this client id"
        return Diff("phantom_order", base, ZERO, ZERO, HALTED, order.client_order_id, detail)
    trades = raw.get("trades") or [t for t in gateway.fetch_my_trades(order.symbol) if str(t["order"]) == raw["id"]]
    found = venue_mapping.order(venue, raw, order.client_order_id, list(trades))
    ledger.record_order(found)
    detail = f"ledger held {order.status}; the venue says {found.status.value}, filled {found.filled}"
    return Diff(
        "phantom_order", base, ZERO, found.filled, f"looked_up:{found.status.value}", order.client_order_id, detail
    )


def _summary(p: Position | None) -> str:
    if p is None:
        return "none"
    return f"amount {p.amount} cost {p.cost_basis} realised {p.realized_pnl} fees {p.fees}"
