"""Every ``VenueGateway`` under contract, built with the facts the generic contract needs to know about it.

* ``sim`` / ``paper``: ``SimExchange`` (and a ``PaperBroker`` over it) on a seeded sim market;
* ``ccxt-binance`` / ``ccxt-kraken``: ``CcxtGateway`` over the real ccxt exchange classes, HTTP served from the
  recordings in ``tests/data/ccxt`` (so parsing and error classification are ccxt's own). A ``FaultPlan`` becomes
  a priority overlay of recorded failures: rate limit → the venue's documented rate-limit reply, timeout → ccxt's
  ``RequestTimeout`` from the transport.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tradepipe.adapters.venues.ccxt_gateway import CcxtGateway, make_client
from tradepipe.adapters.venues.ccxt_replay import Recording, install
from tradepipe.adapters.venues.paper_broker import PaperBroker
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.core.ports import VenueGateway

HOUR = 3_600_000
DATA = Path(__file__).parents[1] / "data" / "ccxt"
SIM_SYMBOLS = ["BTC/USDT", "ETH/USDT", "DOGE/USDT", "LINK/USDT"]
MARKET = SimMarket(seed=9, history_bars=400, future_bars=100)
SIM_NOW = MARKET.history_end_ms + HOUR // 2  # mid-bar: the bar in progress must stay invisible
CASH = 250_000.0
FAKE_KEY = "contract-test-api-key-0000"  # not a credential: the replay never leaves the process
FAKE_SECRET = "Y29udHJhY3QtdGVzdC1zZWNyZXQtMDAwMA=="


@dataclass(frozen=True)
class Subject:
    """A gateway plus what the generic contract expects of it."""

    gateway: VenueGateway
    symbols: tuple[str, ...]  # listed and active
    now_ms: int  # the venue's "now": closed bars end at or before it
    history_start_ms: int  # page OHLCV forward from here ...
    history_end_ms: int  # ... up to (excluding) this bar start
    trade: tuple[str, float, str]  # (symbol, amount, client order id) of a market buy that fills
    too_big: tuple[str, float]  # a market buy the account cannot pay for
    orders_reach_venue: bool = True  # False for the paper broker: its orders fill against the book locally


def sim_venue(faults: FaultPlan | None = None) -> SimExchange:
    return SimExchange(
        "sim-contract",
        MARKET,
        SimClock(SIM_NOW),
        symbols=SIM_SYMBOLS,
        taker_fee=0.001,
        maker_fee=0.0008,
        depth_usd=500_000.0,
        spread_bps=3.0,
        faults=faults,
        starting_balances={"USDT": CASH},
        ohlcv_limit=150,
    )


def _sim_subject(gateway: VenueGateway, *, orders_reach_venue: bool = True) -> Subject:
    return Subject(
        gateway,
        tuple(sorted(SIM_SYMBOLS)),
        SIM_NOW,
        MARKET.start_ms + 5 * HOUR,
        MARKET.history_end_ms,
        ("ETH/USDT", 0.5, "contract-1"),
        ("BTC/USDT", 100.0),
        orders_reach_venue,
    )


def build_sim(tmp_path: Path, faults: FaultPlan | None) -> Subject:
    return _sim_subject(sim_venue(faults))


def build_paper(tmp_path: Path, faults: FaultPlan | None) -> Subject:
    broker = PaperBroker(sim_venue(faults), tmp_path / "wallet.json", SimClock(SIM_NOW), starting_cash={"USDT": CASH})
    return _sim_subject(broker, orders_reach_venue=False)


# method → (HTTP method, path) per venue, and the venue's documented rate-limit reply
ROUTES: dict[str, dict[str, tuple[str, str]]] = {
    "binance": {
        "fetch_tickers": ("GET", "/api/v3/ticker/24hr"),
        "fetch_ohlcv": ("GET", "/api/v3/klines"),
        "fetch_order_book": ("GET", "/api/v3/depth"),
        "create_order": ("POST", "/api/v3/order"),
        "cancel_order": ("DELETE", "/api/v3/order"),
    },
    "kraken": {
        "fetch_tickers": ("GET", "/0/public/Ticker"),
        "fetch_ohlcv": ("GET", "/0/public/OHLC"),
        "fetch_order_book": ("GET", "/0/public/Depth"),
        "create_order": ("POST", "/0/private/AddOrder"),
        "cancel_order": ("POST", "/0/private/CancelOrder"),
    },
}
RATE_LIMITED: dict[str, dict[str, Any]] = {
    "binance": {
        "status": 429,
        "reason": "Too Many Requests",
        "headers": {"Retry-After": "7"},
        "body": {"code": -1003, "msg": "Too many requests; current limit is 6000 request weight per 1 MINUTE."},
    },
    "kraken": {"status": 200, "body": {"error": ["EAPI:Rate limit exceeded"]}},
}


@cache
def _recording(exchange: str) -> dict[str, Any]:
    return json.loads((DATA / f"{exchange}.json").read_text())


def fault_overlay(exchange: str, faults: FaultPlan | None) -> list[dict[str, Any]]:
    """Recorded failures for the methods a ``FaultPlan`` makes fail every time (probability 1)."""
    overlay: list[dict[str, Any]] = []
    for table, reply in (
        (faults.rate_limit if faults else {}, RATE_LIMITED[exchange]),
        (faults.timeout if faults else {}, {"raise": "RequestTimeout"}),
    ):
        for method, probability in table.items():
            if probability >= 1.0:
                http_method, path = ROUTES[exchange][method]
                overlay.append({"method": http_method, "path": path, "priority": 1, **reply})
    return overlay


def ccxt_gateway(exchange: str, faults: FaultPlan | None = None, **capabilities: Any) -> tuple[CcxtGateway, Recording]:
    data = _recording(exchange)
    client = make_client(exchange, {"apiKey": FAKE_KEY, "secret": FAKE_SECRET})
    client.enableRateLimit = False
    recording = Recording(exchange, fault_overlay(exchange, faults) + copy.deepcopy(data["responses"]))
    install(client, recording)
    return CcxtGateway(exchange, client, **capabilities), recording


def _ccxt_builder(exchange: str) -> Callable[[Path, FaultPlan | None], Subject]:
    def build(tmp_path: Path, faults: FaultPlan | None) -> Subject:
        gateway, _ = ccxt_gateway(exchange, faults, ohlcv_limit=5)  # recorded pages hold 5 bars
        t0 = 1_735_689_600_000
        return Subject(
            gateway,
            ("BTC/USDT", "ETH/USDT", "SOL/USDT"),
            int(_recording(exchange)["server_now_ms"]),
            t0,
            t0 + 12 * HOUR,
            ("ETH/USDT", 0.5, "contract-1"),
            ("BTC/USDT", 100.0),
        )

    return build


BUILDERS: dict[str, Callable[[Path, FaultPlan | None], Subject]] = {
    "sim": build_sim,
    "paper": build_paper,
    "ccxt-binance": _ccxt_builder("binance"),
    "ccxt-kraken": _ccxt_builder("kraken"),
}
