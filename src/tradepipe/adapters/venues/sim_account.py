"""An in-memory trading account that fills orders against an order book.

Shared by ``SimExchange`` (the simulated venue's own account) and ``PaperBroker`` (a paper wallet
against any venue's book). Wallet arithmetic is Decimal; the ccxt-shaped dicts it returns carry floats.

Rules: market orders walk the book and pay the taker fee; whatever the book cannot fill is canceled
(status ``canceled`` with ``filled > 0``; an order that would fill nothing is rejected). Limit orders
take what is marketable up to their price (taker); the rest rests as ``open`` (GTC, GTD until
``expireTime``), is canceled (IOC) — or the whole order expires unfilled when it cannot fill at once (FOK).
A resting limit fills at its price (maker) once the book crosses it, at most the crossing depth per book
snapshot (so a large order fills over several snapshots). A stop (``triggerPrice``) rests untriggered
and becomes a market order when the book reaches it. Resting orders are matched at every account read.
Fees are charged in the quote currency. Open orders reserve funds (``used``): a buy its remaining cost
plus maker fee, a sell its remaining base amount.

``Realism`` makes fills less rosy: only ``depth_share`` of each level is ours, every fill moves
``latency_bps`` against us, and ``reject_rate`` of orders (seeded by client id) are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from tradepipe.adapters.crash import crash_point
from tradepipe.adapters.venues.account_state import (
    AccountOrder,
    AccountState,
    AccountTrade,
    iso8601,
    order_dict,
    trade_dict,
)
from tradepipe.adapters.venues.sim_fills import FeeRates, Realism, walk_book
from tradepipe.adapters.venues.sim_market import stable_seed
from tradepipe.clock import Clock
from tradepipe.domain.money import ZERO, to_decimal
from tradepipe.errors import InsufficientFunds, VenueRejected

__all__ = ["FeeRates", "Realism", "SimAccount", "walk_book"]

MarketLookup = Callable[[str], Mapping[str, Any]]
BookLookup = Callable[[str], Mapping[str, Any]]


class SimAccount:
    """Orders, trades and a wallet for one venue; see the module docstring for the fill rules."""

    def __init__(
        self,
        venue: str,
        clock: Clock,
        *,
        id_prefix: str,
        fees: FeeRates,
        market_of: MarketLookup,
        book_of: BookLookup,
        state: AccountState,
        on_change: Callable[[AccountState], None] | None = None,
        realism: Realism | None = None,
    ) -> None:
        self.venue = venue
        self.clock = clock
        self.id_prefix = id_prefix
        self.fees = fees
        self.state = state
        self.realism = realism or Realism()
        self._share = to_decimal(self.realism.depth_share)
        self._slip = to_decimal(round(self.realism.latency_bps / 1e4, 12))
        self._market_of = market_of
        self._book_of = book_of
        self._on_change = on_change
        self._by_client = {o.client_order_id: o.id for o in state.orders.values() if o.client_order_id}
        self._trades = {t.id: t for t in state.trades}

    # --- orders ----------------------------------------------------------------
    def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        params = params or {}
        client_id = params.get("clientOrderId")
        if client_id is not None and client_id in self._by_client and self.realism.unique_client_ids:
            raise VenueRejected(self.venue, "duplicate clientOrderId")
        market = self._market_of(symbol)
        qty, limit = self._validate(type, side, amount, price)
        tif = str(params.get("timeInForce") or "GTC").upper()
        if tif not in ("GTC", "IOC", "FOK", "GTD", "PO"):
            raise VenueRejected(self.venue, f"unsupported timeInForce {tif!r}")
        trigger = params.get("triggerPrice") or params.get("stopPrice")
        self._maybe_reject(client_id)
        order = AccountOrder(
            id=f"{self.id_prefix}-{self.state.next_order}",
            client_order_id=client_id,
            symbol=symbol,
            type=type,
            side=side,
            amount=qty,
            price=limit,
            timestamp=self.clock.now_ms(),
            fee_currency=str(market["quote"]),
            time_in_force=tif if type == "limit" else "IOC",
            trigger_price=to_decimal(float(trigger)) if trigger else None,
            expire_time=int(params["expireTime"]) if tif == "GTD" and params.get("expireTime") else None,
        )
        if order.trigger_price is not None:
            self._check_trigger(order)
            self._check_limits(market, qty, order.trigger_price)
            self._check_funds(market, side, qty, None, [])
        else:
            self._take(order, market)
        self.state.next_order += 1
        self.state.orders[order.id] = order
        if client_id is not None:
            self._by_client[client_id] = order.id
        self._changed()
        return self._order_dict(order)

    def _take(self, order: AccountOrder, market: Mapping[str, Any]) -> None:
        """Fill what is marketable now (taker) and set the order's status by its type and time in force."""
        book = self._book_of(order.symbol)
        fills = walk_book(
            book["asks" if order.side == "buy" else "bids"], order.amount, order.side, order.price, self._share
        )
        if order.type == "market" and not fills:
            raise VenueRejected(self.venue, f"no liquidity for {order.symbol}")
        taken = sum((a for _, a in fills), ZERO)
        if order.time_in_force == "FOK" and taken < order.amount:
            fills = []
        self._check_limits(
            market, order.amount, order.price if order.price is not None else fills[0][0] if fills else None
        )
        self._check_funds(market, order.side, order.amount, order.price, fills)
        for fill_price, fill_amount in fills:
            self._fill(order, market, fill_price, fill_amount, "taker")
        if order.remaining <= 0:
            order.status = "closed"
        elif order.time_in_force == "FOK":
            order.status = "expired"
        elif order.type == "market" or order.time_in_force == "IOC":
            order.status = "canceled"

    def fetch_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        self.match_resting()
        return self._order_dict(self._get(id, symbol))

    def fetch_order_by_client_id(self, client_order_id: str, symbol: str | None = None) -> dict[str, Any] | None:
        self.match_resting()
        order_id = self._by_client.get(client_order_id)
        if order_id is None:
            return None
        order = self.state.orders[order_id]
        return None if symbol is not None and order.symbol != symbol else self._order_dict(order)

    def fetch_open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        self.match_resting()
        return [
            self._order_dict(o)
            for o in self.state.orders.values()
            if o.status == "open" and (symbol is None or o.symbol == symbol)
        ]

    def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        self.match_resting()
        order = self._get(id, symbol)
        if order.status != "open":
            raise VenueRejected(self.venue, f"order {id} is not open ({order.status})")
        order.status = "canceled"
        self._changed()
        return self._order_dict(order)

    # --- account ---------------------------------------------------------------
    def fetch_balance(self) -> dict[str, Any]:
        self.match_resting()
        used = self._reserved()
        assets = sorted(set(self.state.balances) | set(used))
        total = {a: self.state.balances.get(a, ZERO) for a in assets}
        out: dict[str, Any] = {
            "info": {},
            "timestamp": self.clock.now_ms(),
            "datetime": iso8601(self.clock.now_ms()),
            "total": {a: float(total[a]) for a in assets},
            "used": {a: float(used.get(a, ZERO)) for a in assets},
            "free": {a: float(total[a] - used.get(a, ZERO)) for a in assets},
        }
        for a in assets:
            out[a] = {"free": out["free"][a], "used": out["used"][a], "total": out["total"][a]}
        return out

    def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        self.match_resting()
        trades = [
            t
            for t in self.state.trades
            if (symbol is None or t.symbol == symbol) and (since is None or t.timestamp >= since)
        ]
        if limit is not None:
            trades = trades[:limit] if since is not None else trades[-limit:] if limit > 0 else []
        return [trade_dict(t) for t in trades]

    def free(self, asset: str) -> Decimal:
        return self.state.balances.get(asset, ZERO) - self._reserved().get(asset, ZERO)

    # --- resting orders --------------------------------------------------------
    def match_resting(self) -> None:
        """Expire, trigger and fill resting orders against the current books (one match per book snapshot)."""
        books: dict[str, Mapping[str, Any]] = {}
        changed = False
        now = self.clock.now_ms()
        for order in list(self.state.orders.values()):
            if order.status != "open":
                continue
            if order.expire_time is not None and now >= order.expire_time:
                order.status, changed = "expired", True
                continue
            if order.symbol not in books:
                books[order.symbol] = self._book_of(order.symbol)
            book = books[order.symbol]
            stamp = int(book.get("timestamp") or now)
            if order.matched_at == stamp:
                continue
            levels = book["asks" if order.side == "buy" else "bids"]
            if not levels:
                continue
            best = to_decimal(float(levels[0][0]))
            market = self._market_of(order.symbol)
            if order.trigger_price is not None:
                if best <= order.trigger_price if order.side == "sell" else best >= order.trigger_price:
                    order.trigger_price, order.type, order.timestamp = None, "market", now
                    order.matched_at, changed = stamp, True
                    self._fill_triggered(order, market, levels)
                continue
            if order.price is None or not (best <= order.price if order.side == "buy" else best >= order.price):
                continue
            crossing = walk_book(levels, order.remaining, order.side, order.price, self._share)
            take = sum((a for _, a in crossing), ZERO)
            if take > 0:
                self._fill(order, market, order.price, take, "maker", slip=False)
                order.matched_at, changed = stamp, True
                if order.remaining <= 0:
                    order.status = "closed"
        if changed:
            self._changed()

    def _check_trigger(self, order: AccountOrder) -> None:
        levels = self._book_of(order.symbol)["asks" if order.side == "buy" else "bids"]
        if not levels or order.trigger_price is None:
            return
        best = to_decimal(float(levels[0][0]))
        if best <= order.trigger_price if order.side == "sell" else best >= order.trigger_price:
            raise VenueRejected(self.venue, f"stop at {order.trigger_price} would trigger immediately (best {best})")

    def _fill_triggered(self, order: AccountOrder, market: Mapping[str, Any], levels: list[list[float]]) -> None:
        fills = walk_book(levels, order.remaining, order.side, None, self._share)
        if order.side == "sell":
            have = self.state.balances.get(str(market["base"]), ZERO)
            fills = walk_book(levels, min(order.remaining, max(have, ZERO)), order.side, None, self._share)
        for price, amount in fills:
            self._fill(order, market, price, amount, "taker")
        order.status = "closed" if order.remaining <= 0 else "canceled"

    # --- internals -------------------------------------------------------------
    def _maybe_reject(self, client_id: str | None) -> None:
        rate = self.realism.reject_rate
        if rate <= 0:
            return
        draw = stable_seed(self.realism.seed, self.venue, client_id or self.state.next_order, "reject") / 2.0**128
        if draw < rate:
            raise VenueRejected(self.venue, "simulated reject: the venue refused the order (system busy)")

    def _validate(self, type: str, side: str, amount: float, price: float | None) -> tuple[Decimal, Decimal | None]:
        if type not in ("market", "limit"):
            raise VenueRejected(self.venue, f"unsupported order type {type!r}")
        if side not in ("buy", "sell"):
            raise VenueRejected(self.venue, f"unknown side {side!r}")
        try:
            qty = to_decimal(float(amount))
            limit = None if type == "market" or price is None else to_decimal(float(price))
        except ValueError as exc:
            raise VenueRejected(self.venue, f"invalid amount or price: {exc}") from exc
        if qty <= 0:
            raise VenueRejected(self.venue, "amount must be positive")
        if type == "limit" and (limit is None or limit <= 0):
            raise VenueRejected(self.venue, "a limit order needs a positive price")
        return qty, limit

    def _check_limits(self, market: Mapping[str, Any], qty: Decimal, ref_price: Decimal | None) -> None:
        limits = market.get("limits") or {}
        min_amount = (limits.get("amount") or {}).get("min")
        if min_amount is not None and qty < to_decimal(float(min_amount)):
            raise VenueRejected(self.venue, f"amount {qty} below minimum {min_amount}")
        min_cost = (limits.get("cost") or {}).get("min")
        if min_cost is not None and ref_price is not None and qty * ref_price < to_decimal(float(min_cost)):
            raise VenueRejected(self.venue, f"min notional: cost {qty * ref_price} below {min_cost}")

    def _check_funds(
        self,
        market: Mapping[str, Any],
        side: str,
        qty: Decimal,
        limit: Decimal | None,
        fills: list[tuple[Decimal, Decimal]],
    ) -> None:
        if side == "sell":
            asset, need = str(market["base"]), qty
        else:
            asset = str(market["quote"])
            taken = sum((self._slipped(p, side) * a for p, a in fills), ZERO)
            rest = qty - sum((a for _, a in fills), ZERO)
            need = taken * (1 + self.fees.taker)
            if limit is not None:
                need += rest * limit * (1 + self.fees.maker)
        free = self.free(asset)
        if need > free:
            raise InsufficientFunds(self.venue, f"insufficient {asset}: need {need}, free {free}")

    def _slipped(self, price: Decimal, side: str) -> Decimal:
        return price * (1 + self._slip) if side == "buy" else price * (1 - self._slip)

    def _fill(
        self,
        order: AccountOrder,
        market: Mapping[str, Any],
        price: Decimal,
        amount: Decimal,
        role: str,
        *,
        slip: bool = True,
    ) -> None:
        base, quote = str(market["base"]), str(market["quote"])
        if slip and self._slip > 0:
            price = self._slipped(price, order.side)
        cost = price * amount
        fee = cost * (self.fees.taker if role == "taker" else self.fees.maker)
        sign = 1 if order.side == "buy" else -1
        bal = self.state.balances
        bal[base] = bal.get(base, ZERO) + sign * amount
        bal[quote] = bal.get(quote, ZERO) - sign * cost - fee
        now = self.clock.now_ms()
        trade = AccountTrade(
            id=f"{self.id_prefix}-t{self.state.next_trade}",
            order_id=order.id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            taker_or_maker=role,
            amount=amount,
            price=price,
            cost=cost,
            fee=fee,
            fee_currency=quote,
            timestamp=now,
        )
        self.state.next_trade += 1
        self.state.trades.append(trade)
        self._trades[trade.id] = trade
        order.trade_ids.append(trade.id)
        order.filled += amount
        order.cost += cost
        order.fee += fee
        order.last_trade_timestamp = now

    def _reserved(self) -> dict[str, Decimal]:
        used: dict[str, Decimal] = {}
        for o in self.state.orders.values():
            if o.status != "open" or (o.price is None and o.trigger_price is None):
                continue
            market = self._market_of(o.symbol)
            if o.side == "buy":
                price = o.price if o.price is not None else o.trigger_price or ZERO
                asset, amount = str(market["quote"]), o.remaining * price * (1 + self.fees.maker)
            else:
                asset, amount = str(market["base"]), o.remaining
            used[asset] = used.get(asset, ZERO) + amount
        return used

    def _get(self, id: str, symbol: str | None) -> AccountOrder:
        order = self.state.orders.get(id)
        if order is None or (symbol is not None and order.symbol != symbol):
            raise VenueRejected(self.venue, f"order not found: {id}")
        return order

    def _changed(self) -> None:
        crash_point("venue.before_save")
        if self._on_change is not None:
            self._on_change(self.state)
        crash_point("venue.after_save")

    def _order_dict(self, order: AccountOrder) -> dict[str, Any]:
        return order_dict(order, self._trades)
