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
    STOP_LOSS = "stop_loss"  # a stop-market: on the venue when its capabilities allow, emulated otherwise


class TimeInForce(StrEnum):
    GTC = "GTC"  # good till canceled
    IOC = "IOC"  # immediate or cancel: take what is there, cancel the rest
    FOK = "FOK"  # fill or kill: all at once or nothing
    GTD = "GTD"  # good till ``expires_at_ms``


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
    DENIED = "denied"  # never sent: a guard or a give-up refused it before the venue saw it
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


TERMINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.DENIED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class EventKind(StrEnum):
    """What happened to an order, in the past tense; ``core.execution.states.TRANSITIONS`` says what it leads to."""

    INITIALIZED = "initialized"  # the intent row was committed (the first event of every order)
    DENIED = "denied"  # not sent, and never will be: slippage guard, rate-limit give-up (the detail says which)
    SUBMITTED = "submitted"  # committed just before the venue call
    DEFERRED = "deferred"  # the venue rate-limited the create: it was not taken, we may send it again
    TIMED_OUT = "timed_out"  # the create call's outcome is unknown: look it up, never resend
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NOT_FOUND = "not_found"  # a lookup by client id found nothing: the venue never took it
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_REQUESTED = "cancel_requested"
    CANCEL_REJECTED = "cancel_rejected"
    CANCELED = "canceled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One row of ``order_events``: what happened, the status it led to, and why."""

    client_order_id: str
    kind: EventKind
    status: OrderStatus
    detail: str = ""
    trade_id: str | None = None
    amount: Decimal | None = None
    price: Decimal | None = None


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
    limit_price: Decimal | None = None  # LIMIT orders (and a slippage-guarded market order turned limit)
    stop_price: Decimal | None = None  # STOP_LOSS orders: trigger price
    time_in_force: TimeInForce = TimeInForce.GTC
    expires_at_ms: int | None = None  # GTD expiry (venue clock)


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


@dataclass(frozen=True, slots=True)
class TrackedOrder:
    """Our view of one order: the intent, its state-machine status, what the venue told us so far."""

    intent: OrderIntent
    status: OrderStatus
    order_id: str | None = None  # the venue's id, once known
    filled: Decimal = Decimal(0)
    trade_ids: frozenset[str] = frozenset()
    reason: str = ""  # the latest rejection/cancel reason
    attempts: int = 0  # sends that reached the create call (rate-limited ones included)
    emulated: bool = False  # a stop we hold locally and send as a market order when triggered
    arrival_price: Decimal | None = None  # the book's mid when we decided to send: realised slippage is vs this
    updated_ms: int | None = None  # wall-clock time of the last recorded change (epoch ms)
    previous_status: OrderStatus | None = None  # while CANCEL_PENDING: where a rejected cancel returns it to

    @property
    def client_order_id(self) -> str:
        return self.intent.client_order_id

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES
