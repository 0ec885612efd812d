"""Exit rules for open positions: stop loss and take profit on the latest mark."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from tradepipe.core.execution.ids import client_order_id
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.domain.portfolio import Position


def exit_intents(
    positions: Sequence[Position], marks: Mapping[tuple[str, str], Decimal], *, run_id: str
) -> list[OrderIntent]:
    """A full market sell for every position whose mark is at/below its stop or at/above its target."""
    intents = []
    for position in positions:
        mark = marks.get((position.venue, position.symbol))
        if mark is None or not position.is_open:
            continue
        purpose, reason = _exit_reason(position, mark)
        if purpose is None:
            continue
        intents.append(
            OrderIntent(
                client_order_id=client_order_id(run_id, position.venue, position.symbol, "sell", 0),
                run_id=run_id,
                venue=position.venue,
                symbol=position.symbol,
                side=Side.SELL,
                amount=position.amount,
                order_type=OrderType.MARKET,
                purpose=purpose,
                reference_price=mark,
                reason=reason,
            )
        )
    return intents


def _exit_reason(position: Position, mark: Decimal) -> tuple[IntentPurpose | None, str]:
    if position.stop_loss is not None and mark <= position.stop_loss:
        return IntentPurpose.STOP_LOSS, f"mark {mark} ≤ stop {position.stop_loss}"
    if position.take_profit is not None and mark >= position.take_profit:
        return IntentPurpose.TAKE_PROFIT, f"mark {mark} ≥ target {position.take_profit}"
    return None, ""
