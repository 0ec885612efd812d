"""Simulated CEX venues speaking the ``VenueGateway`` protocol, with seeded fault injection.

Every venue quotes the shared ``SimMarket``: the mid of a symbol is the close of its last closed bar
times a small deterministic per-venue noise (so two venues differ slightly). Each symbol's spread and
book depth scale with its daily quote volume around the venue's ``spread_bps`` and ``depth_usd``
(a symbol trading 100 M USDT a day gets exactly those): ``spread = spread_bps * clip(f ** -0.25, 0.5,
8)`` and ``depth = depth_usd * clip(f ** 0.5, 0.05, 10)`` with ``f = daily volume / 1e8``; ``depth`` is
the quote value on each side of the book. The venue's own account is a ``SimAccount`` in memory.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from types import MappingProxyType
from typing import Any

import numpy as np

from tradepipe.adapters.venues.account_state import AccountState, iso8601
from tradepipe.adapters.venues.sim_account import FeeRates, Realism, SimAccount
from tradepipe.adapters.venues.sim_market import CLOSE, HIGH, LOW, MAJORS, OPEN, VOLUME, SimMarket, stable_seed
from tradepipe.clock import TIMEFRAME_MS, Clock
from tradepipe.domain.money import to_decimal
from tradepipe.domain.venue import VenueCapabilities
from tradepipe.errors import (
    ConfigurationError,
    OrderOutcomeUnknown,
    RateLimited,
    TransientVenueError,
    VenueRejected,
)

REFERENCE_DAILY_VOLUME = 1e8
DEFAULT_STARTING_BALANCES: Mapping[str, float] = MappingProxyType({"USDT": 100_000.0})


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Seeded fault injection for a ``SimExchange``.

    ``timeout`` and ``rate_limit`` map a ``VenueGateway`` method name (or ``"*"`` for every method) to
    the probability that one call fails that way. A read that times out raises ``TransientVenueError``;
    a timed-out ``create_order``/``cancel_order`` raises ``OrderOutcomeUnknown`` after taking effect
    with probability ``applied_on_timeout``. A rate limit raises ``RateLimited`` before any effect.
    ``server_error`` (a 5xx) raises ``TransientVenueError`` like a timeout, before any effect.
    ``empty_ohlcv`` is the probability that ``fetch_ohlcv`` returns an empty page; ``stale_ohlcv`` the
    probability that it serves candles as of ``stale_bars`` bars ago (a lagging feed: the newest bars are
    missing); ``corrupt_ohlcv_at`` lists bar timestamps whose close (and high) this venue reports
    ``corrupt_factor`` times too high (a bad print only this venue has), ``nan_close_at`` those whose close it reports
    as NaN (a missing print only this venue has). ``outage_after`` maps a method name to
    the number of calls that succeed before every later one times out (an outage starting mid-fetch);
    ``fail_first`` the number of first calls of a read method that time out before it recovers (a blip). The draws
    come from one RNG seeded by ``(seed, venue name)``, so the same call sequence meets the same faults.
    """

    seed: int = 0
    timeout: Mapping[str, float] = field(default_factory=dict)
    rate_limit: Mapping[str, float] = field(default_factory=dict)
    server_error: Mapping[str, float] = field(default_factory=dict)
    empty_ohlcv: float = 0.0
    stale_ohlcv: float = 0.0
    stale_bars: int = 3
    corrupt_ohlcv_at: tuple[int, ...] = ()
    corrupt_factor: float = 1.2
    nan_close_at: tuple[int, ...] = ()
    outage_after: Mapping[str, int] = field(default_factory=dict)
    fail_first: Mapping[str, int] = field(default_factory=dict)
    applied_on_timeout: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.stale_ohlcv <= 1.0 or self.stale_bars < 1 or self.corrupt_factor <= 0:
            raise ConfigurationError("FaultPlan.stale_ohlcv must be in [0, 1], stale_bars >= 1, corrupt_factor > 0")
        for name in ("timeout", "rate_limit", "server_error"):
            table = MappingProxyType(dict(getattr(self, name)))
            if any(not 0.0 <= p <= 1.0 for p in table.values()):
                raise ConfigurationError(f"FaultPlan.{name} probabilities must be in [0, 1]")
            object.__setattr__(self, name, table)
        if not (0.0 <= self.empty_ohlcv <= 1.0 and 0.0 <= self.applied_on_timeout <= 1.0):
            raise ConfigurationError("FaultPlan.empty_ohlcv and applied_on_timeout must be in [0, 1]")

    @staticmethod
    def probability(table: Mapping[str, float], method: str) -> float:
        return table.get(method, table.get("*", 0.0))

    def draws(self, rng: np.random.Generator, table: Mapping[str, float], method: str) -> bool:
        """One seeded draw: does this call of ``method`` meet the fault ``table`` gives it?"""
        p = self.probability(table, method)
        return p > 0 and bool(rng.random() < p)

    def raise_read_fault(self, rng: np.random.Generator, venue: str, method: str) -> None:
        """Raise the rate limit, timeout or 5xx this read call draws, if any (before any effect)."""
        if self.draws(rng, self.rate_limit, method):
            raise RateLimited(f"{venue} {method}: rate limited (simulated)", retry_after_s=1.0)
        if self.draws(rng, self.timeout, method):
            raise TransientVenueError(f"{venue} {method}: timed out (simulated)")
        if self.draws(rng, self.server_error, method):
            raise TransientVenueError(f"{venue} {method}: 503 Service Unavailable (simulated)")

    def times_out(self, rng: np.random.Generator, venue: str, method: str) -> bool:
        """For create/cancel: raise a rate limit (no effect), or report whether this call times out."""
        if self.draws(rng, self.rate_limit, method):
            raise RateLimited(f"{venue} {method}: rate limited (simulated)")
        return self.draws(rng, self.timeout, method)


class SimExchange:
    """A simulated centralised exchange over a ``SimMarket``; see the module docstring."""

    def __init__(
        self,
        name: str,
        market: SimMarket,
        clock: Clock,
        *,
        symbols: list[str],
        taker_fee: float,
        maker_fee: float,
        depth_usd: float,
        spread_bps: float,
        price_noise_bps: float = 2.0,
        faults: FaultPlan | None = None,
        starting_balances: dict[str, float] | None = None,
        ohlcv_limit: int = 1000,
        book_levels: int = 20,
        min_cost: float = 5.0,
        supports_stop_orders: bool = True,
        realism: Realism | None = None,
    ) -> None:
        unknown = sorted(set(symbols) - set(market.symbols()))
        if unknown:
            raise ConfigurationError(f"{name}: symbols not in the sim market: {unknown[:5]}")
        if depth_usd <= 0 or spread_bps <= 0 or book_levels < 1 or ohlcv_limit < 1:
            raise ConfigurationError(f"{name}: depth_usd, spread_bps, book_levels, ohlcv_limit must be > 0")
        self.name = name
        self.market = market
        self.clock = clock
        self.depth_usd = depth_usd
        self.spread_bps = spread_bps
        self.price_noise_bps = price_noise_bps
        self.book_levels = book_levels
        self.faults = faults or FaultPlan()
        self.capabilities = VenueCapabilities(
            ohlcv_limit=ohlcv_limit,
            timeframes=tuple(tf for tf, ms in TIMEFRAME_MS.items() if ms % market.tf_ms == 0),
            taker_fee=taker_fee,
            maker_fee=maker_fee,
            supports_stop_orders=supports_stop_orders,
            client_order_id_unique=realism is None or realism.unique_client_ids,
        )
        self._quanta = {s: _quanta(market.profile(s).start_price) for s in sorted(symbols)}
        self._markets = {
            s: _market_dict(s, *q, taker=taker_fee, maker=maker_fee, min_cost=min_cost) for s, q in self._quanta.items()
        }
        self._rng = np.random.default_rng(stable_seed(self.faults.seed, name, "faults"))
        self._calls: dict[str, int] = {}
        balances = DEFAULT_STARTING_BALANCES if starting_balances is None else starting_balances
        self.account = SimAccount(
            name,
            clock,
            id_prefix=name,
            fees=FeeRates(to_decimal(taker_fee), to_decimal(maker_fee)),
            market_of=self._market,
            book_of=self._book,
            state=AccountState(balances={k: to_decimal(float(v)) for k, v in balances.items()}),
            realism=realism,
        )

    # --- market data -----------------------------------------------------------
    def load_markets(self) -> dict[str, dict[str, Any]]:
        self._inject("load_markets")
        return copy.deepcopy(self._markets)

    def fetch_tickers(self, symbols: list[str] | None = None) -> dict[str, dict[str, Any]]:
        self._inject("fetch_tickers")
        wanted = list(self._markets) if symbols is None else symbols
        return {s: self._ticker(s) for s in wanted}

    def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1h", since: int | None = None, limit: int | None = None
    ) -> list[list[float]]:
        self._inject("fetch_ohlcv")
        self._market(symbol)
        if timeframe not in self.capabilities.timeframes:
            raise VenueRejected(self.name, f"unsupported timeframe {timeframe!r}")
        if self.faults.empty_ohlcv > 0 and self._rng.random() < self.faults.empty_ohlcv:
            return []
        until = self.clock.now_ms()
        if self.faults.stale_ohlcv > 0 and self._rng.random() < self.faults.stale_ohlcv:
            until -= self.faults.stale_bars * TIMEFRAME_MS[timeframe]
        bars = self.market.candles(symbol, until_ms=until, timeframe=timeframe)
        page = min(limit or self.capabilities.ohlcv_limit, self.capabilities.ohlcv_limit)
        if since is None:
            rows = bars[max(len(bars) - page, 0) :]
        else:
            start = int(np.searchsorted(bars[:, 0], since, side="left"))
            rows = bars[start : start + page]
        out = [[int(r[0]), *r[1:]] for r in rows.tolist()]
        if self.faults.corrupt_ohlcv_at:
            bad, k = set(self.faults.corrupt_ohlcv_at), self.faults.corrupt_factor
            out = [[r[0], r[1], max(r[2], r[4] * k), r[3], r[4] * k, r[5]] if r[0] in bad else r for r in out]
        if self.faults.nan_close_at:
            gone = set(self.faults.nan_close_at)
            out = [[*r[:4], float("nan"), r[5]] if r[0] in gone else r for r in out]
        return out

    def fetch_order_book(self, symbol: str, limit: int | None = None) -> dict[str, Any]:
        self._inject("fetch_order_book")
        return self._book(symbol, limit)

    # --- trading ---------------------------------------------------------------
    def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if self._timed_out("create_order"):
            if self._rng.random() < self.faults.applied_on_timeout:
                # if the venue refused it, the caller still only sees the timeout
                with contextlib.suppress(VenueRejected):
                    self.account.create_order(symbol, type, side, amount, price, params)
            raise OrderOutcomeUnknown(f"{self.name} create_order {symbol} timed out (simulated)")
        return self.account.create_order(symbol, type, side, amount, price, params)

    def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        if self._timed_out("cancel_order"):
            if self._rng.random() < self.faults.applied_on_timeout:
                with contextlib.suppress(VenueRejected):
                    self.account.cancel_order(id, symbol)
            raise OrderOutcomeUnknown(f"{self.name} cancel_order {id} timed out (simulated)")
        return self.account.cancel_order(id, symbol)

    def fetch_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        self._inject("fetch_order")
        return self.account.fetch_order(id, symbol)

    def fetch_order_by_client_id(self, client_order_id: str, symbol: str | None = None) -> dict[str, Any] | None:
        self._inject("fetch_order_by_client_id")
        return self.account.fetch_order_by_client_id(client_order_id, symbol)

    def fetch_open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        self._inject("fetch_open_orders")
        return self.account.fetch_open_orders(symbol)

    def fetch_balance(self) -> dict[str, Any]:
        self._inject("fetch_balance")
        return self.account.fetch_balance()

    def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        self._inject("fetch_my_trades")
        return self.account.fetch_my_trades(symbol, since, limit)

    # --- internals -------------------------------------------------------------
    def _market(self, symbol: str) -> dict[str, Any]:
        market = self._markets.get(symbol)
        if market is None:
            raise VenueRejected(self.name, f"unknown symbol {symbol!r}")
        return market

    def _inject(self, method: str) -> None:
        """Raise the read fault the plan draws for this call, if any."""
        if method in self.faults.outage_after or method in self.faults.fail_first:
            self._calls[method] = self._calls.get(method, 0) + 1
            if self._calls[method] > self.faults.outage_after.get(method, self._calls[method]):
                raise TransientVenueError(f"{self.name} {method}: timed out (simulated outage)")
            if self._calls[method] <= self.faults.fail_first.get(method, 0):
                raise TransientVenueError(
                    f"{self.name} {method}: timed out (simulated blip, call {self._calls[method]})"
                )
        self.faults.raise_read_fault(self._rng, self.name, method)

    def _timed_out(self, method: str) -> bool:
        return self.faults.times_out(self._rng, self.name, method)

    def _mid(self, symbol: str, now_ms: int) -> float:
        bar = self.market.bar_index_at(now_ms)
        u = stable_seed(self.name, symbol, bar, "noise") / 2.0**128
        return self.market.price_at(symbol, now_ms) * (1 + self.price_noise_bps * (2 * u - 1) / 1e4)

    def _book(self, symbol: str, limit: int | None = None) -> dict[str, Any]:
        self._market(symbol)
        now = self.clock.now_ms()
        mid = self._mid(symbol, now)
        f = self.market.profile(symbol).daily_quote_volume / REFERENCE_DAILY_VOLUME
        half_bps = self.spread_bps * min(max(f**-0.25, 0.5), 8.0) / 2
        depth = self.depth_usd * min(max(f**0.5, 0.05), 10.0)
        n = self.book_levels
        price_q, amount_q = self._quanta[symbol]
        bids: list[list[float]] = []
        asks: list[list[float]] = []
        for i in range(n if limit is None else min(limit, n)):
            offset = (half_bps + i * max(half_bps, 0.5)) / 1e4
            level_usd = depth / n * (0.5 + (i / (n - 1) if n > 1 else 0.5))
            for book, price, rounding in (
                (asks, mid * (1 + offset), ROUND_CEILING),
                (bids, mid * (1 - offset), ROUND_FLOOR),
            ):
                p = _quantize(price, price_q, rounding)
                amount = _quantize(level_usd / p, amount_q, ROUND_FLOOR) if p > 0 else 0.0
                if amount > 0:
                    book.append([p, amount])
        return {"symbol": symbol, "bids": bids, "asks": asks, "timestamp": now, "datetime": iso8601(now), "nonce": None}

    def _ticker(self, symbol: str) -> dict[str, Any]:
        self._market(symbol)
        now = self.clock.now_ms()
        day = self.market.clean_candles(symbol, until_ms=now)[-(86_400_000 // self.market.tf_ms) :]
        book = self._book(symbol, 1)
        last = _quantize(self._mid(symbol, now), self._quanta[symbol][0], ROUND_FLOOR)
        base_volume = float(day[:, VOLUME].sum())
        quote_volume = float((day[:, VOLUME] * day[:, CLOSE]).sum())
        open_ = float(day[0, OPEN]) if len(day) else None
        return {
            "symbol": symbol,
            "timestamp": now,
            "datetime": iso8601(now),
            "high": float(day[:, HIGH].max()) if len(day) else None,
            "low": float(day[:, LOW].min()) if len(day) else None,
            "bid": book["bids"][0][0] if book["bids"] else None,
            "bidVolume": book["bids"][0][1] if book["bids"] else None,
            "ask": book["asks"][0][0] if book["asks"] else None,
            "askVolume": book["asks"][0][1] if book["asks"] else None,
            "open": open_,
            "close": last,
            "last": last,
            "percentage": (last / open_ - 1) * 100 if open_ else None,
            "vwap": quote_volume / base_volume if base_volume else None,
            "baseVolume": base_volume,
            "quoteVolume": quote_volume,
            "info": {},
        }


def _quantize(value: float, quantum: Decimal, rounding: str) -> float:
    return float(Decimal(repr(value)).quantize(quantum, rounding=rounding))


def _quanta(start_price: float) -> tuple[Decimal, Decimal]:
    """(price tick, amount step): ~6 significant digits of price; one amount step is worth $0.1-$1."""
    magnitude = math.log10(start_price)
    return Decimal(1).scaleb(math.floor(magnitude) - 5), Decimal(1).scaleb(-math.ceil(magnitude))


def _market_dict(
    symbol: str, price_q: Decimal, amount_q: Decimal, *, taker: float, maker: float, min_cost: float
) -> dict[str, Any]:
    """A ccxt unified spot market, precision in tick-size mode."""
    base, quote = symbol.split("/")
    return {
        "id": f"{base}{quote}",
        "symbol": symbol,
        "base": base,
        "quote": quote,
        "settle": None,
        "type": "spot",
        "spot": True,
        "active": True,
        "precision": {"amount": float(amount_q), "price": float(price_q)},
        "limits": {
            "amount": {"min": float(amount_q), "max": None},
            "cost": {"min": min_cost, "max": None},
            "price": {"min": None, "max": None},
        },
        "taker": taker,
        "maker": maker,
        "info": {},
    }


def default_sim_venues(
    seed: int, clock: Clock, *, bad_data_every: int = 25, faults: FaultPlan | None = None
) -> dict[str, SimExchange]:
    """Two CEX venues over one ``SimMarket``: sim-alpha (65 symbols) and sim-beta (71), 58 shared.

    The planted defects sit in the 10th-last bar closed at ``clock.now_ms()`` when the venues are built
    (clamped to the generated bars), so a cycle built at that time sees them among its recent bars.
    """
    market = SimMarket(seed, bad_data_every=bad_data_every, defects_before_ms=clock.now_ms())
    every = market.symbols()
    majors = {f"{m[0]}/USDT" for m in MAJORS[:10]}  # listed everywhere, as in life
    alpha = SimExchange(
        "sim-alpha",
        market,
        clock,
        symbols=[s for i, s in enumerate(every) if i % 5 != 4 or s in majors],
        taker_fee=0.001,
        maker_fee=0.0008,
        depth_usd=400_000.0,
        spread_bps=2.0,
        ohlcv_limit=1000,
        faults=faults,
    )
    beta = SimExchange(
        "sim-beta",
        market,
        clock,
        symbols=[s for i, s in enumerate(every) if i % 7 != 3 or s in majors],
        taker_fee=0.00075,
        maker_fee=0.0006,
        depth_usd=150_000.0,
        spread_bps=4.0,
        ohlcv_limit=500,
        supports_stop_orders=False,  # stops are emulated here: the two venues exercise both paths
        faults=faults,
    )
    return {alpha.name: alpha, beta.name: beta}
