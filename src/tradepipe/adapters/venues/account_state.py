"""Records of a simulated account (orders, trades, wallet) and their ccxt-shaped views.

Money is Decimal in the records; ``AccountState.to_json`` writes it as strings so nothing is lost, and
the ccxt dicts carry floats as ccxt does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from tradepipe.domain.money import ZERO


@dataclass(slots=True)
class AccountOrder:
    id: str
    client_order_id: str | None
    symbol: str
    type: str
    side: str
    amount: Decimal
    price: Decimal | None
    timestamp: int
    status: str = "open"
    filled: Decimal = ZERO
    cost: Decimal = ZERO
    fee: Decimal = ZERO
    fee_currency: str = ""
    last_trade_timestamp: int | None = None
    trade_ids: list[str] = field(default_factory=list)
    time_in_force: str = "GTC"
    trigger_price: Decimal | None = None  # a stop: rests untriggered until the book crosses it
    expire_time: int | None = None  # GTD: expires at this venue time
    matched_at: int | None = None  # book timestamp of the last resting match (one match per book)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.filled


@dataclass(frozen=True, slots=True)
class AccountTrade:
    id: str
    order_id: str
    client_order_id: str | None
    symbol: str
    side: str
    type: str
    taker_or_maker: str
    amount: Decimal
    price: Decimal
    cost: Decimal
    fee: Decimal
    fee_currency: str
    timestamp: int


@dataclass(slots=True)
class AccountState:
    """Everything an account remembers; ``to_json``/``from_json`` keep Decimals as strings."""

    balances: dict[str, Decimal]
    orders: dict[str, AccountOrder] = field(default_factory=dict)
    trades: list[AccountTrade] = field(default_factory=list)
    next_order: int = 1
    next_trade: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "balances": {k: str(v) for k, v in sorted(self.balances.items())},
            "orders": [_record_to_json(o) for o in self.orders.values()],
            "trades": [_record_to_json(t) for t in self.trades],
            "next_order": self.next_order,
            "next_trade": self.next_trade,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AccountState:
        orders = [_record_from_json(AccountOrder, o) for o in data["orders"]]
        return cls(
            balances={k: Decimal(v) for k, v in data["balances"].items()},
            orders={o.id: o for o in orders},
            trades=[_record_from_json(AccountTrade, t) for t in data["trades"]],
            next_order=int(data["next_order"]),
            next_trade=int(data["next_trade"]),
        )


_R = TypeVar("_R", AccountOrder, AccountTrade)
_DECIMAL_FIELDS = frozenset({"amount", "price", "filled", "cost", "fee", "trigger_price"})


def _record_to_json(record: AccountOrder | AccountTrade) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        out[f.name] = str(value) if isinstance(value, Decimal) else value
    return out


def _record_from_json(kind: type[_R], data: Mapping[str, Any]) -> _R:
    values: dict[str, Any] = {k: (Decimal(v) if k in _DECIMAL_FIELDS and v is not None else v) for k, v in data.items()}
    if kind is AccountOrder:
        values["trade_ids"] = list(values.get("trade_ids", []))
    return kind(**values)


def iso8601(ms: int) -> str:
    """ccxt's datetime format: ``2026-01-01T00:00:00.000Z``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def order_dict(o: AccountOrder, trades: Mapping[str, AccountTrade]) -> dict[str, Any]:
    """The ccxt unified order dict of ``o``; ``trades`` maps trade ids to trades."""
    average = o.cost / o.filled if o.filled > 0 else None
    fee = {"cost": float(o.fee), "currency": o.fee_currency}
    return {
        "id": o.id,
        "clientOrderId": o.client_order_id,
        "timestamp": o.timestamp,
        "datetime": iso8601(o.timestamp),
        "lastTradeTimestamp": o.last_trade_timestamp,
        "status": o.status,
        "symbol": o.symbol,
        "type": o.type,
        "timeInForce": o.time_in_force if o.type == "limit" else "IOC",
        "triggerPrice": float(o.trigger_price) if o.trigger_price is not None else None,
        "side": o.side,
        "price": float(o.price) if o.price is not None else (float(average) if average else None),
        "average": float(average) if average is not None else None,
        "amount": float(o.amount),
        "filled": float(o.filled),
        "remaining": float(o.remaining),
        "cost": float(o.cost),
        "fee": fee,
        "fees": [fee],
        "trades": [trade_dict(trades[t]) for t in o.trade_ids],
        "info": {"orderId": o.id, "clientOrderId": o.client_order_id, "status": o.status},
    }


def trade_dict(t: AccountTrade) -> dict[str, Any]:
    """The ccxt unified trade dict of ``t`` (client order id both top level and in ``info``)."""
    fee = {"cost": float(t.fee), "currency": t.fee_currency}
    return {
        "id": t.id,
        "order": t.order_id,
        "clientOrderId": t.client_order_id,
        "timestamp": t.timestamp,
        "datetime": iso8601(t.timestamp),
        "symbol": t.symbol,
        "type": t.type,
        "side": t.side,
        "takerOrMaker": t.taker_or_maker,
        "price": float(t.price),
        "amount": float(t.amount),
        "cost": float(t.cost),
        "fee": fee,
        "fees": [fee],
        "info": {"tradeId": t.id, "orderId": t.order_id, "clientOrderId": t.client_order_id},
    }
