"""Row ↔ domain conversions for the ledger tables."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tradepipe.domain.orders import Fill, IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.domain.portfolio import Lot, Position


def dec(value: Any) -> Decimal | None:
    """Numeric columns come back as Decimal on both SQLite and PostgreSQL; normalise and keep None."""
    return None if value is None else Decimal(value).normalize() + Decimal(0)


def position_from_row(row: Any) -> Position:
    return Position(
        venue=row.venue,
        symbol=row.symbol,
        amount=Decimal(row.amount),
        average_price=Decimal(row.average_price),
        stop_loss=dec(row.stop_loss),
        take_profit=dec(row.take_profit),
        opened_at_ms=int(row.opened_at_ms),
        realized_pnl=Decimal(row.realized_pnl),
        cost_basis=Decimal(row.cost_basis),
        fees=Decimal(row.fees),
        entry_amount=Decimal(row.entry_amount),
        high_water_mark=dec(row.high_water_mark),
        exits_taken=int(row.exits_taken),
        lots=tuple(Lot(Decimal(a), Decimal(p)) for a, p in json.loads(row.lots or "[]")),
        account=row.account,
    )


def position_values(position: Position) -> dict[str, Any]:
    return {
        "account": position.account,
        "venue": position.venue,
        "symbol": position.symbol,
        "amount": position.amount,
        "average_price": position.average_price,
        "stop_loss": position.stop_loss,
        "take_profit": position.take_profit,
        "opened_at_ms": position.opened_at_ms,
        "realized_pnl": position.realized_pnl,
        "cost_basis": position.cost_basis,
        "is_open": position.amount > 0,
        "fees": position.fees,
        "entry_amount": position.entry_amount,
        "high_water_mark": position.high_water_mark,
        "exits_taken": position.exits_taken,
        "lots": json.dumps([[format(lot.amount, "f"), format(lot.price, "f")] for lot in position.lots]),
    }


def intent_from_row(row: Any) -> OrderIntent:
    return OrderIntent(
        client_order_id=row.client_order_id,
        run_id=row.run_id,
        venue=row.venue,
        symbol=row.symbol,
        side=Side(row.side),
        amount=Decimal(row.amount),
        order_type=OrderType(row.order_type),
        purpose=IntentPurpose(row.purpose),
        reference_price=Decimal(row.reference_price),
        stop_loss=dec(row.stop_loss),
        take_profit=dec(row.take_profit),
        reason=row.reason,
    )


def fill_from_row(row: Any) -> Fill:
    return Fill(
        venue=row.venue,
        trade_id=row.trade_id,
        order_id=row.order_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        amount=Decimal(row.amount),
        price=Decimal(row.price),
        fee=Decimal(row.fee),
        fee_currency=row.fee_currency,
        timestamp_ms=int(row.timestamp_ms),
    )
