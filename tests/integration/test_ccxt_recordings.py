"""Recorded binance and kraken HTTP through the real ccxt classes, into our domain types and our store.

The recordings (tests/data/ccxt) follow each venue's documented REST shapes; parsing and error classification are
ccxt's own, and ``CcxtGateway`` + ``map_venue_errors`` are ours. Nothing here touches the network.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from tests.contract.subjects import DATA, FAKE_KEY, FAKE_SECRET, ccxt_gateway
from tradepipe.adapters.storage.candles import ParquetCandleStore
from tradepipe.adapters.venues.ccxt_gateway import CcxtGateway, credentials_from_env, make_client, shared_client
from tradepipe.core import discovery, venue_mapping
from tradepipe.core.marketdata import ConsensusPolicy, SourceRouter, WindowCache, fetch_batch
from tradepipe.domain.market import Batch, UniverseEntry
from tradepipe.domain.orders import OrderStatus, Side
from tradepipe.errors import (
    ConfigurationError,
    OrderOutcomeUnknown,
    RateLimited,
    TransientVenueError,
    VenueRejected,
)

HOUR = 3_600_000
T0 = 1_735_689_600_000
VENUES = ["binance", "kraken"]


def recorded(exchange: str) -> dict:
    return json.loads((DATA / f"{exchange}.json").read_text())


@pytest.mark.parametrize("exchange", VENUES)
def test_markets_and_tickers_parse_into_snapshots_and_rules(exchange: str) -> None:
    gateway, _ = ccxt_gateway(exchange)
    snaps = discovery.collect_snapshots({exchange: gateway})
    assert sorted(s.symbol for s in snaps) == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]  # LUNA (halted) is left out
    eth = next(s for s in snaps if s.symbol == "ETH/USDT")
    assert (eth.venue, eth.base, eth.quote) == (exchange, "ETH", "USDT")
    assert eth.bid < eth.last < eth.ask and eth.quote_volume > 1e6 and eth.range_pct and eth.range_pct > 0
    assert eth.last == 3393.51  # the recorded last price, through ccxt's parser
    rules = venue_mapping.market_rules(gateway.load_markets()["BTC/USDT"])
    if exchange == "binance":
        assert (rules.price_quantum, rules.amount_quantum, rules.min_cost) == (
            Decimal("0.01"), Decimal("0.00001"), Decimal("5"),
        )  # fmt: skip
    else:
        assert (rules.price_quantum, rules.min_amount) == (Decimal("0.1"), Decimal("0.00005"))


@pytest.mark.parametrize("exchange", VENUES)
def test_recorded_candles_flow_through_the_router_into_the_store(exchange: str, tmp_path: Path) -> None:
    gateway, recording = ccxt_gateway(exchange, ohlcv_limit=5)
    store = ParquetCandleStore(tmp_path)
    router = SourceRouter({exchange: gateway}, sleep=lambda s: None)
    batch = Batch(
        0, (UniverseEntry(exchange, "BTC/USDT", 1, 1.0, 1.0), UniverseEntry(exchange, "ETH/USDT", 2, 1.0, 1.0))
    )
    now = recorded(exchange)["server_now_ms"]
    result = fetch_batch(
        batch, router, store, WindowCache(store), timeframe="1h", bars=12, as_of_ms=now,
        consensus=ConsensusPolicy(max_sources=1),
    )  # fmt: skip
    assert result.missing == () and result.rows_fetched == 24
    frame = pl.read_parquet(result.ref.path).filter(pl.col("symbol") == "BTC/USDT").sort("timestamp")
    assert frame["timestamp"].to_list() == list(range(T0, T0 + 12 * HOUR, HOUR))
    assert frame.row(0, named=True) | {"venue": exchange} == {
        "venue": exchange, "symbol": "BTC/USDT", "timestamp": T0, "open": 94000.0, "high": 94241.17, "low": 93812.0,
        "close": 94053.06, "volume": 13.0,
    }  # fmt: skip
    klines = [c for c in recording.calls if c[1].endswith(("/klines", "/OHLC"))]
    assert len(klines) == 2 * 3  # pages of 5, 5 and 2 per symbol


@pytest.mark.parametrize("exchange", VENUES)
def test_recorded_orders_and_trades_become_domain_orders_and_fills(exchange: str) -> None:
    gateway, _ = ccxt_gateway(exchange)
    created = gateway.create_order("ETH/USDT", "market", "buy", 0.5, params={"clientOrderId": "contract-1"})
    raw = gateway.fetch_order(created["id"], "ETH/USDT")
    trades = [t for t in gateway.fetch_my_trades("ETH/USDT") if t["order"] == raw["id"]]
    order = venue_mapping.order(exchange, raw, "contract-1", trades)
    assert (order.status, order.side, order.filled, order.symbol) == (
        OrderStatus.FILLED,
        Side.BUY,
        Decimal("0.5"),
        "ETH/USDT",
    )
    (fill,) = order.fills
    assert fill.price == order.average_price and fill.fee > 0 and fill.fee_currency == "USDT"
    assert fill.amount * fill.price == pytest.approx(Decimal(str(raw["cost"])), rel=Decimal("1e-9"))


def overlay(exchange: str, entries: list[dict], calls: list | None = None) -> CcxtGateway:
    """A gateway whose recording answers ``entries`` first; ``calls`` collects the requests it saw."""
    gateway, recording = ccxt_gateway(exchange)
    recording.responses[:0] = [{"priority": 2, **e} for e in entries]
    if calls is not None:
        recording.calls = calls
    return gateway


def test_binance_error_replies_map_by_what_to_do() -> None:
    limited = overlay("binance", [{"path": "/api/v3/klines", "status": 429, "headers": {"Retry-After": "7"},
                                   "body": {"code": -1003, "msg": "Too many requests."}}])  # fmt: skip
    with pytest.raises(RateLimited) as caught:
        limited.fetch_ohlcv("BTC/USDT", "1h")
    assert caught.value.retry_after_s == 7.0
    down = overlay("binance", [{"path": "/api/v3/ticker/24hr", "status": 503, "body": "Service Unavailable"}])
    with pytest.raises(TransientVenueError):
        down.fetch_tickers()
    invalid_key = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
    refused = overlay("binance", [{"path": "/api/v3/account", "status": 401, "body": invalid_key}])
    with pytest.raises(ConfigurationError) as auth:
        refused.fetch_balance()
    assert FAKE_KEY not in str(auth.value) and FAKE_SECRET not in str(auth.value) and "api_key_env" in str(auth.value)
    calls: list = []
    lost = overlay("binance", [{"method": "POST", "path": "/api/v3/order", "raise": "RequestTimeout"}], calls)
    with pytest.raises(OrderOutcomeUnknown):
        lost.create_order("ETH/USDT", "market", "buy", 0.5, params={"clientOrderId": "lost-1"})
    assert [c[0] for c in calls].count("POST") == 1  # ccxt's own retries are off: a timed-out create is never re-sent
    gone = overlay("binance", [{"method": "DELETE", "path": "/api/v3/order", "status": 400,
                                "body": {"code": -2011, "msg": "Unknown order sent."}}])  # fmt: skip
    with pytest.raises(VenueRejected):
        gone.cancel_order("123", "ETH/USDT")


def test_kraken_error_replies_map_by_what_to_do() -> None:
    busy = overlay("kraken", [{"path": "/0/public/OHLC", "body": {"error": ["EAPI:Rate limit exceeded"]}}])
    with pytest.raises(RateLimited):
        busy.fetch_ohlcv("BTC/USDT", "1h")
    down = overlay("kraken", [{"path": "/0/public/Ticker", "body": {"error": ["EService:Unavailable"]}}])
    with pytest.raises(TransientVenueError):
        down.fetch_tickers()
    refused = overlay(
        "kraken", [{"method": "POST", "path": "/0/private/BalanceEx", "body": {"error": ["EAPI:Invalid key"]}}]
    )
    with pytest.raises(ConfigurationError):
        refused.fetch_balance()
    with pytest.raises(VenueRejected):
        overlay("kraken", []).fetch_ohlcv("DOGE/USDT", "1h")  # not listed there: rejected before any request


def test_credentials_come_only_from_the_named_env_vars_and_never_show() -> None:
    env = {"K": "live-key-123456789", "S": "live-secret-123456789"}
    assert credentials_from_env("K", "S", env) == {"apiKey": env["K"], "secret": env["S"]}
    assert credentials_from_env("K", "S", {}) == {}
    with pytest.raises(ConfigurationError, match=r"live\.api_secret_env"):
        credentials_from_env("K", "S", {"K": "x"})
    client = make_client("binance", {"apiKey": env["K"], "secret": env["S"]})
    gateway = CcxtGateway("binance", client)
    assert env["K"] not in repr(gateway) and "authenticated=True" in repr(gateway)
    assert client.options["maxRetriesOnFailure"] == 0 and client.enableRateLimit
    assert shared_client("kraken") is shared_client("kraken") and shared_client("kraken") is not shared_client(
        "binance"
    )
    with pytest.raises(ConfigurationError, match="not a ccxt exchange"):
        make_client("no-such-venue")


@pytest.mark.parametrize("exchange", VENUES)
def test_ccxt_calls_leave_the_threads_decimal_context_alone(exchange: str) -> None:
    """ccxt's decimal_to_precision sets ROUND_HALF_UP on the thread's context; the ledger rounds half-even."""
    import decimal

    before = decimal.getcontext().copy()
    gateway, _ = ccxt_gateway(exchange)
    gateway.load_markets()
    gateway.create_order("ETH/USDT", "market", "buy", 0.5, params={"clientOrderId": "ctx-1"})
    after = decimal.getcontext()
    assert (after.rounding, after.prec, after.traps) == (before.rounding, before.prec, before.traps)
    assert f"{Decimal('199.985'):.2f}" == "199.98"  # half-even, as ledger_round and the reports expect
