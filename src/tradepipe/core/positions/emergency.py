"""The emergency stop: cancel every open order on every venue, then close every position at market.

The halt on new entries is set by the caller *before* these run, so nothing new is opened meanwhile.
A cancel whose outcome is unknown (timeout) is checked again by listing open orders afterwards; whatever
is still open is reported, never assumed gone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradepipe.core.execution.ids import client_order_id
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.domain.portfolio import Position
from tradepipe.errors import OrderOutcomeUnknown, TransientVenueError, VenueRejected

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CancelReport:
    canceled: list[dict[str, Any]] = field(default_factory=list)  # the venues' answers (ccxt order dicts)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (venue, order id, why)
    still_open: list[tuple[str, str]] = field(default_factory=list)  # (venue, order id) listed after the sweep


def cancel_open_orders(gateways: Mapping[str, VenueGateway], *, sweeps: int = 3) -> CancelReport:
    """Cancel every order each venue lists as open; list again and repeat up to ``sweeps`` times."""
    report = CancelReport()
    for venue, gateway in sorted(gateways.items()):
        for _ in range(sweeps):
            listed = gateway.fetch_open_orders()
            if not listed:
                break
            for raw in listed:
                try:
                    report.canceled.append({**gateway.cancel_order(str(raw["id"]), raw.get("symbol")), "venue": venue})
                except (OrderOutcomeUnknown, TransientVenueError, VenueRejected) as exc:
                    log.warning("emergency stop: cancel %s/%s failed: %s", venue, raw["id"], exc)
                    report.failed.append((venue, str(raw["id"]), str(exc)))
        report.still_open += [(venue, str(o["id"])) for o in gateway.fetch_open_orders()]
    return report


def close_intents(
    positions: Sequence[Position], marks: Mapping[tuple[str, str], Decimal], *, run_id: str, attempt: int = 0
) -> list[OrderIntent]:
    """A full market sell of every open position (reference price: its mark, else its entry).

    ``attempt`` numbers the client ids, so a close the venue rejected can be sent again as a new order.
    """
    return [
        OrderIntent(
            client_order_id=client_order_id(run_id, p.venue, p.symbol, "close", attempt),
            run_id=run_id,
            venue=p.venue,
            symbol=p.symbol,
            side=Side.SELL,
            amount=p.amount,
            order_type=OrderType.MARKET,
            purpose=IntentPurpose.EXIT,
            reference_price=marks.get(p.key, p.average_price),
            reason="emergency stop: close every position at market",
        )
        for p in positions
        if p.is_open
    ]
