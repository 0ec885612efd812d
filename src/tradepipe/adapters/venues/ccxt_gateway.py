"""``CcxtGateway``: any ccxt exchange, by name, behind the ``VenueGateway`` protocol.

One shared client per (venue, credentials) — ccxt rate-limits per client object — with ccxt's own retries off:
retries belong to the caller (the source router's breakers, the Prefect task policy), and every ccxt exception
leaves through ``map_venue_errors``. Capabilities come from ccxt's ``features``/``timeframes``/``rateLimit``
records, never from the venue's name. Credentials are read from environment variables named in config; they are
kept on the ccxt client only and redacted from every message and ``repr``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import ccxt

from tradepipe.adapters.venues.ccxt_errors import map_venue_errors
from tradepipe.clock import TIMEFRAME_MS
from tradepipe.domain.venue import VenueCapabilities
from tradepipe.errors import ConfigurationError, VenueRejected

DEFAULT_OHLCV_LIMIT = 500
_CLIENTS: dict[tuple[str, str, bool], ccxt.Exchange] = {}
_CLIENTS_LOCK = threading.Lock()
# ccxt options that keep a spot gateway on the spot API (no futures/options/margin endpoints on load_markets)
SPOT_OPTIONS: Mapping[str, Any] = {
    "defaultType": "spot",
    "fetchMarkets": {"types": ["spot"]},
    "fetchMargins": False,
    "fetchCurrencies": False,
}


def credentials_from_env(api_key_env: str, api_secret_env: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """API key and secret from the named environment variables; both or neither must be set."""
    source = os.environ if env is None else env
    key, secret = source.get(api_key_env, ""), source.get(api_secret_env, "")
    if bool(key) != bool(secret):
        missing = api_secret_env if key else api_key_env
        raise ConfigurationError(f"live.{'api_secret_env' if key else 'api_key_env'}: {missing} is not set")
    return {"apiKey": key, "secret": secret} if key else {}


def shared_client(exchange_id: str, credentials: Mapping[str, str] | None = None, *, sandbox: bool = False) -> Any:
    """The one ccxt client for this venue and key: ccxt rate-limits per client object, so share it."""
    creds = dict(credentials or {})
    key = (exchange_id, creds.get("apiKey", ""), sandbox)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = make_client(exchange_id, creds, sandbox=sandbox)
            _CLIENTS[key] = client
        return client


def make_client(exchange_id: str, credentials: Mapping[str, str] | None = None, *, sandbox: bool = False) -> Any:
    """A fresh ccxt client: rate limiting on, ccxt's own retries off, spot markets only."""
    factory: Callable[[dict[str, Any]], Any] | None = getattr(ccxt, exchange_id, None)
    if factory is None or exchange_id not in ccxt.exchanges:
        raise ConfigurationError(f"venue {exchange_id!r} is not a ccxt exchange id (see ccxt.exchanges)")
    config: dict[str, Any] = {"enableRateLimit": True, "options": dict(SPOT_OPTIONS), **dict(credentials or {})}
    client = factory(config)
    client.options["maxRetriesOnFailure"] = 0  # ccxt's own retries off: ours decide
    client.options["maxRetriesOnFailureDelay"] = 0
    if sandbox:
        client.set_sandbox_mode(True)
    return client


# Facts ccxt has no feature flag for, per exchange class (as freqtrade's ``_ft_has``): read as data, never branched on.
CAPABILITY_FACTS: Mapping[str, Mapping[str, Any]] = {
    "kraken": {"fetch_order_by_client_id": False},  # QueryOrders wants a txid; look up through cl_ord_id filters
}


def capabilities_of(client: Any) -> VenueCapabilities:
    """A venue's ``VenueCapabilities`` from ccxt's feature records."""
    spot = (getattr(client, "features", None) or {}).get("spot") or {}
    ohlcv = spot.get("fetchOHLCV") or {}
    create = spot.get("createOrder") or {}
    fees = (getattr(client, "fees", None) or {}).get("trading") or {}
    has = client.has
    facts = CAPABILITY_FACTS.get(client.id, {})
    caps = VenueCapabilities(
        ohlcv_limit=int(ohlcv.get("limit") or DEFAULT_OHLCV_LIMIT),
        timeframes=tuple(tf for tf in TIMEFRAME_MS if tf in (client.timeframes or {})),
        rate_limit_ms=int(client.rateLimit),
        supports_stop_orders=bool(create.get("stopLossPrice") or create.get("triggerPrice")),
        client_order_id_unique=True,
        fetch_order_by_client_id=bool(has.get("fetchOrder")),
        taker_fee=float(fees.get("taker") or 0.001),
        maker_fee=float(fees.get("maker") or 0.001),
    )
    return replace(caps, **facts)


class CcxtGateway:
    """A ``VenueGateway`` over one ccxt client; see the module docstring."""

    def __init__(self, name: str, client: Any, *, secrets: tuple[str, ...] = (), **capability_overrides: Any) -> None:
        self.name = name
        self.client = client
        self.capabilities = replace(capabilities_of(client), **capability_overrides)
        self._secrets = tuple(s for s in secrets if s) or tuple(
            s for s in (getattr(client, "apiKey", ""), getattr(client, "secret", "")) if s
        )

    @classmethod
    def from_env(
        cls, exchange_id: str, *, api_key_env: str = "", api_secret_env: str = "", name: str | None = None
    ) -> CcxtGateway:
        """The shared client for ``exchange_id``, authenticated from env vars when they are named and set."""
        creds = credentials_from_env(api_key_env, api_secret_env) if api_key_env else {}
        return cls(name or exchange_id, shared_client(exchange_id, creds))

    def __repr__(self) -> str:  # never the key or secret
        authenticated = bool(getattr(self.client, "apiKey", ""))
        return f"CcxtGateway(name={self.name!r}, exchange={self.client.id!r}, authenticated={authenticated})"

    def _call(self, method: str, *args: Any) -> Any:
        with map_venue_errors(
            self.name,
            method,
            rate_limit_ms=self.capabilities.rate_limit_ms,
            secrets=self._secrets,
            headers=lambda: getattr(self.client, "last_response_headers", None),
        ):
            return getattr(self.client, method)(*args)

    # --- market data -------------------------------------------------------------
    def load_markets(self) -> dict[str, dict[str, Any]]:
        markets = self._call("load_markets")
        return {s: m for s, m in markets.items() if m.get("spot", True)}

    def fetch_tickers(self, symbols: list[str] | None = None) -> dict[str, dict[str, Any]]:
        if symbols is not None:
            self._require_symbols(symbols)
        return dict(self._call("fetch_tickers", symbols))

    def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1h", since: int | None = None, limit: int | None = None
    ) -> list[list[float]]:
        self._require_symbols([symbol])
        if timeframe not in self.capabilities.timeframes:
            raise VenueRejected(self.name, f"unsupported timeframe {timeframe!r}")
        page = min(limit or self.capabilities.ohlcv_limit, self.capabilities.ohlcv_limit)
        rows = self._call("fetch_ohlcv", symbol, timeframe, since, page)
        return [[int(r[0]), *(float(v) if v is not None else float("nan") for v in r[1:6])] for r in rows]

    def fetch_order_book(self, symbol: str, limit: int | None = None) -> dict[str, Any]:
        self._require_symbols([symbol])
        return dict(self._call("fetch_order_book", symbol, limit))

    # --- trading -----------------------------------------------------------------
    def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return dict(self._call("create_order", symbol, type, side, amount, price, dict(params or {})))

    def fetch_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        return dict(self._call("fetch_order", id, symbol))

    def fetch_order_by_client_id(self, client_order_id: str, symbol: str | None = None) -> dict[str, Any] | None:
        """The venue's order with this client id, or None if it never saw it.

        Directly (ccxt's ``clientOrderId`` param of ``fetch_order``) where the venue supports it, else through the
        open and closed order lists filtered by client id.
        """
        if not self.capabilities.fetch_order_by_client_id:
            params = {"clientOrderId": client_order_id}
            for method in ("fetch_open_orders", "fetch_closed_orders"):
                with map_venue_errors(self.name, method, secrets=self._secrets):
                    orders = getattr(self.client, method)(symbol, None, None, params)
                found = [o for o in orders if o.get("clientOrderId") == client_order_id]
                if found:
                    return dict(found[-1])
            return None
        try:
            with map_venue_errors(self.name, "fetch_order", secrets=self._secrets):
                order = self.client.fetch_order("", symbol, {"clientOrderId": client_order_id})
        except VenueRejected as exc:
            if "OrderNotFound" in exc.reason:
                return None
            raise
        return dict(order) if order else None

    def fetch_open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("fetch_open_orders", symbol))

    def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]:
        return dict(self._call("cancel_order", id, symbol))

    def fetch_balance(self) -> dict[str, Any]:
        return dict(self._call("fetch_balance"))

    def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return list(self._call("fetch_my_trades", symbol, since, limit))

    def _require_symbols(self, symbols: list[str]) -> None:
        """A symbol the venue does not list is a rejection (as on every other gateway), not a ccxt crash."""
        markets = self.client.markets or self.load_markets()
        unknown = [s for s in symbols if s not in markets]
        if unknown:
            raise VenueRejected(self.name, f"unknown symbol {unknown[0]!r}")
