"""Order intents, orders and fills."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class IntentPurpose(StrEnum):
    ENTRY = "entry"
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    EXIT = "exit"


class OrderStatus(StrEnum):
    INITIALIZED = "initialized"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_PENDING = "cancel_pending"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


TERMINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What we mean to trade; committed to the ledger before any venue call."""

    client_order_id: str
    run_id: str
    venue: str
    symbol: str
    side: Side
    amount: Decimal
    order_type: OrderType
    purpose: IntentPurpose
    reference_price: Decimal
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Fill:
    venue: str
    trade_id: str
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class Order:
    """The venue's view of an order, in our types."""

    venue: str
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    amount: Decimal
    filled: Decimal
    average_price: Decimal | None
    status: OrderStatus
    timestamp_ms: int
    fills: tuple[Fill, ...] = ()
    reason: str = ""
