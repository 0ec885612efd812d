"""Protocols the core needs from the outside world; adapters implement them.

``VenueGateway`` is the subset of ccxt's unified API that tradepipe uses. Its methods return ccxt's
unified structures (plain dicts and lists with float numbers) so that ``CcxtGateway`` stays a thin
wrapper; ``tradepipe.core.venue_mapping`` turns them into domain values in one place.
"""

from __future__ import annotations

from typing import Any, Protocol

from tradepipe.domain.venue import VenueCapabilities


class VenueGateway(Protocol):
    name: str
    capabilities: VenueCapabilities

    def load_markets(self) -> dict[str, dict[str, Any]]: ...

    def fetch_tickers(self, symbols: list[str] | None = None) -> dict[str, dict[str, Any]]: ...

    def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1h", since: int | None = None, limit: int | None = None
    ) -> list[list[float]]: ...

    def fetch_order_book(self, symbol: str, limit: int | None = None) -> dict[str, Any]: ...

    def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]: ...

    def fetch_order(self, id: str, symbol: str | None = None) -> dict[str, Any]: ...

    def fetch_order_by_client_id(self, client_order_id: str, symbol: str | None = None) -> dict[str, Any] | None:
        """Our one extension to ccxt's API: the order with this client id, or None if the venue never saw it."""
        ...

    def fetch_open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]: ...

    def cancel_order(self, id: str, symbol: str | None = None) -> dict[str, Any]: ...

    def fetch_balance(self) -> dict[str, Any]: ...

    def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]: ...
