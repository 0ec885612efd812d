"""A simulated Solana-style DEX speaking the ``VenueGateway`` protocol: constant-product pools, transactions.

A ``create_order`` is a swap *transaction*: it is accepted as pending (status ``open``, id = its signature)
and only lands when it is confirmed, after ``confirm_polls`` status polls (``fetch_order`` /
``fetch_order_by_client_id`` / ``fetch_open_orders``). At landing it swaps against the pool's reserves at
that moment (``tradepipe.core.amm``, fee inside the price) — other traders move the reserves between polls —
and then either fills (``closed``, one trade), fails (``canceled``: slippage tolerance exceeded, a honeypot
sell, too little quote; the priority fee is still paid) or was dropped (``expired`` after
``expiry_polls``: the blockhash expired, it can never land). A higher ``priorityFee`` (quote units, param)
makes a drop less likely. Draws are seeded by (seed, pool, client order id, poll), so runs repeat exactly.
Pools can be built from ``PoolFacts``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tradepipe.adapters.venues.account_state import iso8601
from tradepipe.adapters.venues.sim_market import stable_seed
from tradepipe.clock import Clock
from tradepipe.core import amm
from tradepipe.domain.money import ZERO, to_decimal
from tradepipe.domain.pools import PoolFacts
from tradepipe.domain.venue import VenueCapabilities
from tradepipe.errors import InsufficientFunds, VenueRejected

AMOUNT_STEP = 1e-6


@dataclass(slots=True)
class Pool:
    symbol: str
    base_reserve: float
    quote_reserve: float
    fee_bps: float
    honeypot: bool = False

    @classmethod
    def from_facts(cls, facts: PoolFacts) -> Pool:
        """The pool as the feed saw it (a rugged pool's reserves already show the pulled liquidity)."""
        return cls(facts.symbol, facts.base_reserve, facts.quote_reserve, facts.fee_bps, facts.honeypot)


@dataclass(slots=True)
class Tx:
    id: str
    client_order_id: str | None
    symbol: str
    side: str
    amount: float
    limit_price: float | None  # worst price accepted (from price or maxSlippageBps at submit)
    priority_fee: float
    timestamp: int
    status: str = "open"
    polls: int = 0
    reason: str = ""
    trades: list[dict[str, Any]] = field(default_factory=list)


class SimDex:
    """See the module docstring. Balances are per token symbol (base and quote of the pools)."""

    def __init__(
        self,
        name: str,
        pools: Sequence[Pool],
        clock: Clock,
        *,
        balances: dict[str, float],
        seed: int = 0,
        confirm_polls: int = 2,
        expiry_polls: int = 6,
        drop_rate: float = 0.1,
        fee_reference: float = 0.01,
        flow_bps: float = 30.0,
    ) -> None:
        if confirm_polls < 1 or expiry_polls < confirm_polls or not 0 <= drop_rate <= 1:
            raise VenueRejected(name, "confirm_polls >= 1, expiry_polls >= confirm_polls, drop_rate in [0, 1]")
        self.name = name
        self.clock = clock
        self.pools = {p.symbol: p for p in pools}
        self.balances = {k: to_decimal(float(v)) for k, v in balances.items()}
        self.seed, self.confirm_polls, self.expiry_polls = seed, confirm_polls, expiry_polls
        self.drop_rate, self.fee_reference, self.flow_bps = drop_rate, fee_reference, flow_bps
        fee = min((p.fee_bps for p in pools), default=25.0) / 1e4
        self.capabilities = VenueCapabilities(
            ohlcv_limit=1, timeframes=(), supports_stop_orders=False, taker_fee=0.0, maker_fee=0.0, amm_pool=True
        )
        self.pool_fee = fee
        self._txs: dict[str, Tx] = {}
        self._by_client: dict[str, str] = {}
        self._trade_seq = 0

    @classmethod
    def from_facts(cls, name: str, facts: Sequence[PoolFacts], clock: Clock, **kw: Any) -> SimDex:
        return cls(name, [Pool.from_facts(f) for f in facts], clock, **kw)

    # --- market data -----------------------------------------------------------
    def load_markets(self) -> dict[str, dict[str, Any]]:
        out = {}
        for symbol, pool in self.pools.items():
            base, quote = symbol.split("/")
            out[symbol] = {
                "id": symbol.replace("/", ""),
                "symbol": symbol,
                "base": base,
                "quote": quote,
                "type": "spot",
                "spot": True,
                "active": True,
                "precision": {"amount": AMOUNT_STEP, "price": 1e-12},
                "limits": {"amount": {"min": AMOUNT_STEP}, "cost": {"min": 0.01}, "price": {"min": None}},
                "taker": pool.fee_bps / 1e4,
                "maker": pool.fee_bps / 1e4,
                "info": {"pool": True},
            }
        return out

    def fetch_pool(self, symbol: str) -> dict[str, Any]:
        pool = self._pool(symbol)
        return {"base_reserve": pool.base_reserve, "quote_reserve": pool.quote_reserve, "fee_bps": pool.fee_bps}

    def fetch_tickers(self, symbols: list[str] | None = None) -> dict[str, dict[str, Any]]:
        out = {}
        for symbol in symbols or list(self.pools):
            pool = self._pool(symbol)
            price = pool.quote_reserve / pool.base_reserve
            half = pool.fee_bps / 1e4
            now = self.clock.now_ms()
            out[symbol] = {
                "symbol": symbol, "timestamp": now, "datetime": iso8601(now), "last": price, "close": price,
                "bid": price * (1 - half), "ask": price * (1 + half), "quoteVolume": 0.0, "baseVolume": 0.0,
            }  # fmt: skip
        return out

    def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1h", since: int | None = None, limit: int | None = None
    ) -> list[list[float]]:
        self._pool(symbol)
        return []  # a fresh pool has no candle history here

    def fetch_order_book(self, symbol: str, limit: int | None = None) -> dict[str, Any]:
        """The curve as a book: level i holds what moves the price from step i-1 to step i (10 bps steps)."""
        pool = self._pool(symbol)
        x, y, f = pool.base_reserve, pool.quote_reserve, pool.fee_bps / 1e4
        asks, bids = [], []
        for i in range(1, (limit or 20) + 1):
            up, down = (1 + 0.001 * i) ** 0.5, (1 - 0.001 * i) ** 0.5
            up_prev, down_prev = (1 + 0.001 * (i - 1)) ** 0.5, (1 - 0.001 * (i - 1)) ** 0.5
            asks.append([y / x * (1 + 0.001 * i) / (1 - f), x * (1 / up_prev - 1 / up)])
            bids.append([y / x * (1 - 0.001 * i) * (1 - f), x * (1 / down - 1 / down_prev)])
        now = self.clock.now_ms()
        return {"symbol": symbol, "bids": bids, "asks": asks, "timestamp": now, "datetime": iso8601(now), "nonce": None}

    # --- transactions ------------------------------------------------------------
    def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        params = params or {}
        pool = self._pool(symbol)
        client_id = params.get("clientOrderId")
        if client_id is not None and client_id in self._by_client:
            raise VenueRejected(self.name, "duplicate clientOrderId")
        if side not in ("buy", "sell") or amount <= 0:
            raise VenueRejected(self.name, f"invalid swap {side} {amount}")
        fee = float(params.get("priorityFee") or 0.0)
        spot = pool.quote_reserve / pool.base_reserve
        limit = price
        if limit is None and params.get("maxSlippageBps") is not None:
            band = float(params["maxSlippageBps"]) / 1e4
            limit = spot * (1 + band) if side == "buy" else spot * (1 - band)
        base, quote = symbol.split("/")
        need = (amount * spot * 1.5 if side == "buy" else 0.0) + fee
        if side == "sell" and to_decimal(amount) > self.balances.get(base, ZERO):
            raise InsufficientFunds(self.name, f"insufficient {base}: need {amount}")
        if to_decimal(round(need, 12)) > self.balances.get(quote, ZERO):
            raise InsufficientFunds(self.name, f"insufficient {quote}: need ~{need:.6f}")
        tx = Tx(f"sig{len(self._txs) + 1:06d}", client_id, symbol, side, amount, limit, fee, self.clock.now_ms())
        self._txs[tx.id] = tx
        if client_id is not None:
            self._by_client[client_id] = tx.id
        return self._dict(tx)

    def fetch_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        tx = self._txs.get(id)
        if tx is None:
            raise VenueRejected(self.name, f"order not found: {id}")
        return self._dict(self._poll(tx))

    def fetch_order_by_client_id(self, client_order_id: str, symbol: str | None = None) -> dict[str, Any] | None:
        tx_id = self._by_client.get(client_order_id)
        return None if tx_id is None else self.fetch_order(tx_id, symbol)

    def fetch_open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        txs = [self._poll(t) for t in self._txs.values() if t.status == "open" and symbol in (None, t.symbol)]
        return [self._dict(t) for t in txs if t.status == "open"]

    def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        raise VenueRejected(self.name, "a sent transaction cannot be canceled; it lands or expires")

    def fetch_balance(self) -> dict[str, Any]:
        total = {k: float(v) for k, v in self.balances.items()}
        return {"total": total, "free": dict(total), "used": {k: 0.0 for k in total}, "info": {}}

    def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        trades = [t for tx in self._txs.values() for t in tx.trades if symbol in (None, t["symbol"])]
        return trades[-limit:] if limit else trades

    # --- internals -------------------------------------------------------------
    def _pool(self, symbol: str) -> Pool:
        pool = self.pools.get(symbol)
        if pool is None:
            raise VenueRejected(self.name, f"unknown pool {symbol!r}")
        return pool

    def _draw(self, *parts: object) -> float:
        return stable_seed(self.seed, self.name, *parts) / 2.0**128

    def _poll(self, tx: Tx) -> Tx:
        """One status poll: other traders move the pool; a pending tx lands, fails or expires."""
        if tx.status != "open":
            return tx
        tx.polls += 1
        pool = self.pools[tx.symbol]
        shock = (self._draw(tx.id, tx.polls, "flow") * 2 - 1) * self.flow_bps / 1e4
        pool.quote_reserve *= 1 + shock  # someone else's swap moved the price
        if tx.polls < self.confirm_polls:
            return tx
        p_drop = self.drop_rate * math.exp(-tx.priority_fee / self.fee_reference) if self.fee_reference > 0 else 0
        if self._draw(tx.client_order_id or tx.id, "drop") < p_drop:
            if tx.polls >= self.expiry_polls:
                tx.status, tx.reason = "expired", "dropped: the blockhash expired before the transaction landed"
            return tx
        self._land(tx, pool)
        return tx

    def _land(self, tx: Tx, pool: Pool) -> None:
        base, quote = tx.symbol.split("/")
        self.balances[quote] = self.balances.get(quote, ZERO) - to_decimal(tx.priority_fee)  # paid even on failure
        if tx.side == "sell" and pool.honeypot:
            tx.status, tx.reason = "canceled", "transaction failed: the token program blocks sells (honeypot)"
            return
        if tx.side == "buy":
            quote_in = amm.amount_in_for(tx.amount, pool.quote_reserve, pool.base_reserve, pool.fee_bps)
            base_out, cost = tx.amount, quote_in
        else:
            cost = amm.amount_out(tx.amount, pool.base_reserve, pool.quote_reserve, pool.fee_bps)
            base_out = tx.amount
        price = cost / base_out if base_out > 0 and math.isfinite(cost) else math.inf
        worse = tx.limit_price is not None and (price > tx.limit_price if tx.side == "buy" else price < tx.limit_price)
        if not math.isfinite(price) or worse:
            tx.status, tx.reason = "canceled", f"transaction failed: slippage tolerance exceeded ({price:.6g})"
            return
        if tx.side == "buy" and to_decimal(cost) > self.balances.get(quote, ZERO):
            tx.status, tx.reason = "canceled", f"transaction failed: insufficient {quote}"
            return
        sign = 1 if tx.side == "buy" else -1
        pool.base_reserve -= sign * base_out
        pool.quote_reserve += sign * cost
        self.balances[base] = self.balances.get(base, ZERO) + sign * to_decimal(base_out)
        self.balances[quote] = self.balances.get(quote, ZERO) - sign * to_decimal(cost)
        self._trade_seq += 1
        now = self.clock.now_ms()
        fee = {"cost": tx.priority_fee, "currency": quote}
        tx.trades.append(
            {
                "id": f"{tx.id}-t{self._trade_seq}", "order": tx.id, "clientOrderId": tx.client_order_id,
                "timestamp": now, "datetime": iso8601(now), "symbol": tx.symbol, "type": "market", "side": tx.side,
                "takerOrMaker": "taker", "price": price, "amount": base_out, "cost": cost, "fee": fee, "fees": [fee],
                "info": {"signature": tx.id},
            }
        )  # fmt: skip
        tx.status = "closed"

    def _dict(self, tx: Tx) -> dict[str, Any]:
        filled = sum(t["amount"] for t in tx.trades)
        cost = sum(t["cost"] for t in tx.trades)
        return {
            "id": tx.id, "clientOrderId": tx.client_order_id, "timestamp": tx.timestamp,
            "datetime": iso8601(tx.timestamp), "status": tx.status, "symbol": tx.symbol, "type": "market",
            "side": tx.side, "price": tx.limit_price, "average": cost / filled if filled else None,
            "amount": tx.amount, "filled": filled, "remaining": tx.amount - filled, "cost": cost,
            "fee": {"cost": tx.priority_fee, "currency": tx.symbol.split("/")[1]}, "trades": list(tx.trades),
            "info": {"signature": tx.id, "reason": tx.reason, "polls": tx.polls},
        }  # fmt: skip
