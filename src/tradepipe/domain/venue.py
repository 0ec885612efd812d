"""What a venue can do, as a record: code branches on capabilities, never on venue names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VenueCapabilities:
    ohlcv_limit: int = 1000
    timeframes: tuple[str, ...] = ("1m", "5m", "15m", "1h", "4h", "1d")
    rate_limit_ms: int = 50
    supports_stop_orders: bool = False
    client_order_id_unique: bool = True
    fetch_order_by_client_id: bool = True
    taker_fee: float = 0.001
    maker_fee: float = 0.001
    amm_pool: bool = False  # a constant-product pool venue: gateway.fetch_pool(symbol) gives reserves and fee
