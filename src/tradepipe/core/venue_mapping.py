"""ccxt's unified structures → domain values, in one place (floats become Decimal here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradepipe.domain.market import MarketRules, MarketSnapshot
from tradepipe.domain.money import to_decimal
from tradepipe.domain.orders import Fill, Order, OrderStatus, OrderType, Side

_CCXT_STATUS = {
    "open": OrderStatus.ACCEPTED,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}


def snapshot(venue: str, ticker: dict[str, Any], market: dict[str, Any]) -> MarketSnapshot | None:
    """A ticker as a ``MarketSnapshot``; None when the venue gave no usable price."""
    last, bid, ask = ticker.get("last"), ticker.get("bid"), ticker.get("ask")
    if not last or not bid or not ask:
        return None
    return MarketSnapshot(
        venue=venue,
        symbol=ticker["symbol"],
        base=market["base"],
        quote=market["quote"],
        last=float(last),
        bid=float(bid),
        ask=float(ask),
        quote_volume=float(ticker.get("quoteVolume") or 0.0),
        high=float(ticker["high"]) if ticker.get("high") else None,
        low=float(ticker["low"]) if ticker.get("low") else None,
        listed_at_ms=int(market["created"]) if market.get("created") else None,
    )


def order_status(order: dict[str, Any]) -> OrderStatus:
    status = _CCXT_STATUS.get(str(order.get("status")), OrderStatus.UNKNOWN)
    filled = float(order.get("filled") or 0.0)
    if status is OrderStatus.ACCEPTED and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    if status is OrderStatus.CANCELED and filled > 0:
        return OrderStatus.CANCELED
    return status


def fill(venue: str, trade: dict[str, Any], client_order_id: str) -> Fill:
    fee = trade.get("fee") or {}
    return Fill(
        venue=venue,
        trade_id=str(trade["id"]),
        order_id=str(trade["order"]),
        client_order_id=client_order_id,
        symbol=trade["symbol"],
        side=Side(trade["side"]),
        amount=to_decimal(float(trade["amount"])),
        price=to_decimal(float(trade["price"])),
        fee=to_decimal(float(fee.get("cost") or 0.0)),
        fee_currency=str(fee.get("currency") or trade["symbol"].split("/")[1]),
        timestamp_ms=int(trade["timestamp"]),
    )


def order(venue: str, raw: dict[str, Any], client_order_id: str, trades: list[dict[str, Any]]) -> Order:
    """The venue's order with the trades that belong to it."""
    average = raw.get("average")
    return Order(
        venue=venue,
        order_id=str(raw["id"]),
        client_order_id=client_order_id,
        symbol=raw["symbol"],
        side=Side(raw["side"]),
        order_type=OrderType(raw.get("type") or "market"),
        amount=to_decimal(float(raw["amount"])),
        filled=to_decimal(float(raw.get("filled") or 0.0)),
        average_price=to_decimal(float(average)) if average else None,
        status=order_status(raw),
        timestamp_ms=int(raw.get("timestamp") or 0),
        fills=tuple(fill(venue, t, client_order_id) for t in trades),
        reason=str((raw.get("info") or {}).get("reason", "")),
    )


def decimal_places(precision: float | int | None) -> Decimal:
    """ccxt precision as a step: a float is a tick size (0.001, 1.0, 0.5); an int is a count of decimal places."""
    if precision is None:
        return Decimal("1e-8")
    if isinstance(precision, int):
        return Decimal(1).scaleb(-precision)
    return to_decimal(float(precision)).normalize()


def market_rules(market: dict[str, Any]) -> MarketRules:
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    return MarketRules(
        amount_quantum=decimal_places(precision.get("amount")),
        price_quantum=decimal_places(precision.get("price")),
        min_amount=to_decimal(float((limits.get("amount") or {}).get("min") or 0.0)),
        min_cost=to_decimal(float((limits.get("cost") or {}).get("min") or 0.0)),
        taker_fee=to_decimal(float(market.get("taker") or 0.0)),
    )
