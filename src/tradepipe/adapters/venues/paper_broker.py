"""Paper trading against any venue's real (or simulated) order book, with a persisted paper wallet.

Market data is the venue's own. Orders never reach the venue: they fill against its
``fetch_order_book`` under the ``SimAccount`` rules (walk the book, taker fee in the quote currency,
partial fills on a thin book with the rest canceled for market orders), made less rosy by ``Realism``
(the ``[paper]`` settings: a share of book depth, latency slippage, seeded rejects). The wallet, orders, trades and
id counters live in one JSON file, rewritten atomically (temp file, fsync, ``os.replace``) after every
change and loaded on construction, so a later process finds earlier orders by client id. Decimals are
stored as strings. Order ids are ``paper-<venue>-<n>`` and trade ids ``paper-<venue>-t<n>``.

An optional ``FaultPlan`` makes the trading side fail as ``SimExchange``'s does (the market data already fails
through the venue's own plan): a rate limit before any effect, a timed-out create/cancel that took effect with
probability ``applied_on_timeout`` (``OrderOutcomeUnknown``), timeouts and 5xx on the account reads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import pathlib
from typing import Any

import numpy as np

from tradepipe.adapters.files import write_atomically
from tradepipe.adapters.venues.account_state import AccountState
from tradepipe.adapters.venues.sim_account import FeeRates, Realism, SimAccount
from tradepipe.adapters.venues.sim_exchange import FaultPlan
from tradepipe.adapters.venues.sim_market import stable_seed
from tradepipe.clock import Clock
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.money import to_decimal
from tradepipe.errors import ConfigurationError, OrderOutcomeUnknown, VenueRejected

WALLET_FORMAT = 1


class PaperBroker:
    """A ``VenueGateway`` whose trading side is a paper wallet; see the module docstring."""

    def __init__(
        self,
        venue: VenueGateway,
        wallet_path: pathlib.Path,
        clock: Clock,
        *,
        starting_cash: dict[str, float],
        fee_rate: float | None = None,
        realism: Realism | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        self.venue = venue
        self.name = venue.name
        self.wallet_path = pathlib.Path(wallet_path)
        self.clock = clock
        caps = venue.capabilities
        taker = caps.taker_fee if fee_rate is None else fee_rate
        maker = caps.maker_fee if fee_rate is None else fee_rate
        realism = realism or Realism()
        self.capabilities = dataclasses.replace(
            caps,
            taker_fee=taker,
            maker_fee=maker,
            client_order_id_unique=realism.unique_client_ids,
            fetch_order_by_client_id=True,
        )
        self._markets: dict[str, dict[str, Any]] | None = None
        self.faults = faults or FaultPlan()
        self._rng = np.random.default_rng(stable_seed(self.faults.seed, self.name, "paper-faults"))
        state = self._load(starting_cash)
        self.account = SimAccount(
            self.name,
            clock,
            id_prefix=f"paper-{self.name}",
            fees=FeeRates(to_decimal(float(taker)), to_decimal(float(maker))),
            market_of=self._market,
            book_of=lambda symbol: venue.fetch_order_book(symbol),
            state=state,
            on_change=self._save,
            realism=realism,
        )
        if not self.wallet_path.exists():
            self._save(state)

    # --- market data: the venue's own --------------------------------------------
    def load_markets(self) -> dict[str, dict[str, Any]]:
        self._markets = self.venue.load_markets()
        return self._markets

    def fetch_tickers(self, symbols: list[str] | None = None) -> dict[str, dict[str, Any]]:
        return self.venue.fetch_tickers(symbols)

    def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1h", since: int | None = None, limit: int | None = None
    ) -> list[list[float]]:
        return self.venue.fetch_ohlcv(symbol, timeframe, since, limit)

    def fetch_order_book(self, symbol: str, limit: int | None = None) -> dict[str, Any]:
        return self.venue.fetch_order_book(symbol, limit)

    # --- trading: the paper wallet ---------------------------------------------
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
                with contextlib.suppress(VenueRejected):  # refused or not, the caller only sees the timeout
                    self.account.create_order(symbol, type, side, amount, price, params)
            raise OrderOutcomeUnknown(f"{self.name} create_order {symbol} timed out (simulated)")
        return self.account.create_order(symbol, type, side, amount, price, params)

    def fetch_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        self._inject("fetch_order")
        return self.account.fetch_order(id, symbol)

    def fetch_order_by_client_id(self, client_order_id: str, symbol: str | None = None) -> dict[str, Any] | None:
        self._inject("fetch_order_by_client_id")
        return self.account.fetch_order_by_client_id(client_order_id, symbol)

    def fetch_open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        self._inject("fetch_open_orders")
        return self.account.fetch_open_orders(symbol)

    def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        if self._timed_out("cancel_order"):
            if self._rng.random() < self.faults.applied_on_timeout:
                with contextlib.suppress(VenueRejected):
                    self.account.cancel_order(id, symbol)
            raise OrderOutcomeUnknown(f"{self.name} cancel_order {id} timed out (simulated)")
        return self.account.cancel_order(id, symbol)

    def fetch_balance(self) -> dict[str, Any]:
        self._inject("fetch_balance")
        return self.account.fetch_balance()

    def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        self._inject("fetch_my_trades")
        return self.account.fetch_my_trades(symbol, since, limit)

    # --- internals -------------------------------------------------------------
    def _inject(self, method: str) -> None:
        """Raise the account-read fault the plan draws for this call, if any (rate limit, timeout, 5xx)."""
        self.faults.raise_read_fault(self._rng, self.name, method)

    def _timed_out(self, method: str) -> bool:
        return self.faults.times_out(self._rng, self.name, method)

    def _market(self, symbol: str) -> dict[str, Any]:
        if self._markets is None:
            self._markets = self.venue.load_markets()
        market = self._markets.get(symbol)
        if market is None:
            raise VenueRejected(self.name, f"unknown symbol {symbol!r}")
        return market

    def _load(self, starting_cash: dict[str, float]) -> AccountState:
        if not self.wallet_path.exists():
            return AccountState(balances={k: to_decimal(float(v)) for k, v in starting_cash.items()})
        try:
            data = json.loads(self.wallet_path.read_text(encoding="utf-8"))
            if data.get("format") != WALLET_FORMAT or data.get("venue") != self.name:
                raise ValueError(f"format {data.get('format')!r} for venue {data.get('venue')!r}")
            return AccountState.from_json(data["account"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(f"paper wallet {self.wallet_path} is unreadable: {exc}") from exc

    def _save(self, state: AccountState) -> None:
        payload = {"format": WALLET_FORMAT, "venue": self.name, "account": state.to_json()}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))  # the C encoder: indent would be 10x slower
        write_atomically(self.wallet_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
