"""One contract for every ``VenueGateway``: ccxt shapes, order round trips, balances, faults.

The first part (``subject``) runs against every implementation in ``subjects.BUILDERS``: ``SimExchange``,
``PaperBroker`` on a ``SimExchange``, and ``CcxtGateway`` over the real ccxt binance and kraken classes fed recorded
HTTP. The second part (``gateway``) needs a venue whose market and account we control (the simulator and paper
broker): exact balances, resting limit orders, duplicate ids, seeded fault draws. A new implementation joins by
adding a builder to ``subjects.BUILDERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.contract.subjects import BUILDERS, CASH, HOUR, Subject, build_paper, sim_venue
from tests.contract.subjects import MARKET as MARKET
from tests.contract.subjects import SIM_NOW as NOW
from tests.contract.subjects import SIM_SYMBOLS as SYMBOLS
from tradepipe.adapters.venues.sim_exchange import FaultPlan, default_sim_venues
from tradepipe.clock import SimClock
from tradepipe.core import venue_mapping
from tradepipe.core.ports import VenueGateway
from tradepipe.domain.venue import VenueCapabilities
from tradepipe.errors import (
    InsufficientFunds,
    OrderOutcomeUnknown,
    RateLimited,
    TransientVenueError,
    VenueRejected,
)

SIM_BUILDERS = ("paper", "sim")


@pytest.fixture(params=sorted(BUILDERS))
def make_subject(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[FaultPlan | None], Subject]:
    return lambda faults=None: BUILDERS[request.param](tmp_path, faults)


@pytest.fixture
def subject(make_subject: Callable[[FaultPlan | None], Subject]) -> Subject:
    return make_subject(None)


@pytest.fixture(params=SIM_BUILDERS)
def build(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[FaultPlan | None], VenueGateway]:
    return lambda faults=None: BUILDERS[request.param](tmp_path, faults).gateway


@pytest.fixture
def gateway(build: Callable[[FaultPlan | None], VenueGateway]) -> VenueGateway:
    return build(None)


# === every gateway ===============================================================
def test_every_gateway_lists_markets_in_the_ccxt_shape(subject: Subject) -> None:
    gateway = subject.gateway
    assert isinstance(gateway.capabilities, VenueCapabilities) and gateway.name
    assert gateway.capabilities.ohlcv_limit > 0 and "1h" in gateway.capabilities.timeframes
    markets = gateway.load_markets()
    active = sorted(s for s, m in markets.items() if m["active"])
    assert active == sorted(subject.symbols)
    for symbol, m in markets.items():
        assert m["symbol"] == symbol and f"{m['base']}/{m['quote']}" == symbol and m["id"]
        assert m["precision"]["amount"] > 0 and m["precision"]["price"] > 0
        assert m["limits"]["amount"]["min"] is not None and m["limits"]["amount"]["min"] >= 0
        rules = venue_mapping.market_rules(m)
        assert rules.amount_quantum > 0 and rules.price_quantum > 0


def test_every_gateway_quotes_tickers_in_the_ccxt_shape(subject: Subject) -> None:
    gateway = subject.gateway
    markets = gateway.load_markets()
    tickers = gateway.fetch_tickers()
    assert set(subject.symbols) <= set(tickers)
    for symbol in subject.symbols:
        t = tickers[symbol]
        assert t["symbol"] == symbol and 0 < t["bid"] < t["ask"] and t["bid"] <= t["last"] <= t["ask"]
        assert t["quoteVolume"] > 0
        snap = venue_mapping.snapshot(gateway.name, t, markets[symbol])
        assert snap is not None and snap.quote == "USDT" and 0 < snap.spread_bps < 100
    assert list(gateway.fetch_tickers([subject.trade[0]])) == [subject.trade[0]]
    with pytest.raises(VenueRejected):
        gateway.fetch_tickers(["NOPE/USDT"])


def test_every_gateway_pages_closed_ohlcv_forward(subject: Subject) -> None:
    gateway = subject.gateway
    cap = gateway.capabilities.ohlcv_limit
    latest = gateway.fetch_ohlcv("BTC/USDT", "1h", limit=10_000)
    assert 0 < len(latest) <= cap
    assert all(len(row) == 6 and isinstance(row[0], int) and row[2] >= row[3] > 0 for row in latest)
    assert [r[0] for r in latest] == sorted(r[0] for r in latest)
    assert latest[-1][0] + HOUR <= subject.now_ms
    since, rows = subject.history_start_ms, []
    while True:
        page = gateway.fetch_ohlcv("BTC/USDT", "1h", since=since, limit=cap)
        if not page:
            break
        assert len(page) <= cap and page[0][0] >= since
        rows += page
        since = int(page[-1][0]) + HOUR
    assert [int(r[0]) for r in rows] == list(range(subject.history_start_ms, subject.history_end_ms, HOUR))
    with pytest.raises(VenueRejected):
        gateway.fetch_ohlcv("NOPE/USDT")
    with pytest.raises(VenueRejected):
        gateway.fetch_ohlcv("BTC/USDT", "7m")


def test_every_gateway_books_are_sorted(subject: Subject) -> None:
    book = subject.gateway.fetch_order_book("ETH/USDT")
    bids, asks = book["bids"], book["asks"]
    assert bids and asks and bids[0][0] < asks[0][0]
    assert [b[0] for b in bids] == sorted((b[0] for b in bids), reverse=True)
    assert [a[0] for a in asks] == sorted(a[0] for a in asks)


def test_every_gateway_round_trips_a_market_order(subject: Subject) -> None:
    gateway = subject.gateway
    symbol, amount, client_id = subject.trade
    created = gateway.create_order(symbol, "market", "buy", amount, params={"clientOrderId": client_id})
    assert created["id"] and created["symbol"] == symbol and created["amount"] == amount
    fetched = gateway.fetch_order(created["id"], symbol)
    assert fetched["id"] == created["id"] and fetched["status"] == "closed" and fetched["filled"] == amount
    assert fetched["clientOrderId"] == client_id and fetched["average"] > 0
    found = gateway.fetch_order_by_client_id(client_id, symbol)
    assert found is not None and found["id"] == created["id"]
    assert gateway.fetch_order_by_client_id("never-sent", symbol) is None
    trades = [t for t in gateway.fetch_my_trades(symbol) if t["order"] == created["id"]]
    assert trades and sum(t["amount"] for t in trades) == pytest.approx(amount)
    order = venue_mapping.order(gateway.name, fetched, client_id, trades)  # into our domain types
    assert order.status.value == "filled" and float(order.filled) == amount and order.client_order_id == client_id
    assert all(f.amount > 0 and f.price > 0 and f.fee >= 0 and f.order_id == order.order_id for f in order.fills)
    balance = gateway.fetch_balance()
    assert balance["total"]["USDT"] > 0 and balance["free"]["USDT"] <= balance["total"]["USDT"]
    assert balance["total"]["ETH"] == pytest.approx(amount)
    assert gateway.fetch_open_orders(symbol) == []


def test_every_gateway_refuses_an_order_it_cannot_fund(subject: Subject) -> None:
    symbol, amount = subject.too_big
    with pytest.raises(InsufficientFunds):
        subject.gateway.create_order(symbol, "market", "buy", amount, params={"clientOrderId": "too-big"})


def test_every_gateway_maps_faults_by_what_the_caller_must_do(
    make_subject: Callable[[FaultPlan | None], Subject],
) -> None:
    faulty = make_subject(
        FaultPlan(timeout={"fetch_ohlcv": 1.0, "create_order": 1.0}, rate_limit={"fetch_tickers": 1.0})
    )
    gateway = faulty.gateway
    with pytest.raises(TransientVenueError) as timeout:
        gateway.fetch_ohlcv("BTC/USDT")
    assert not isinstance(timeout.value, RateLimited)
    with pytest.raises(RateLimited):
        gateway.fetch_tickers()
    symbol, amount, client_id = faulty.trade
    if faulty.orders_reach_venue:
        with pytest.raises(OrderOutcomeUnknown):
            gateway.create_order(symbol, "market", "buy", amount, params={"clientOrderId": client_id})
    else:  # a paper order never reaches the venue, so the venue's create timeout cannot touch it
        assert gateway.create_order(symbol, "market", "buy", amount, params={"clientOrderId": client_id})["id"]
    assert gateway.fetch_order_book("ETH/USDT")["asks"]  # other methods are unaffected


# === venues we control (simulator, paper broker) ===============================
# --- shapes -------------------------------------------------------------------
def test_markets_have_the_ccxt_shape(gateway: VenueGateway) -> None:
    assert isinstance(gateway.capabilities, VenueCapabilities) and gateway.name
    markets = gateway.load_markets()
    assert sorted(markets) == sorted(SYMBOLS)
    for symbol, m in markets.items():
        assert m["symbol"] == symbol and f"{m['base']}/{m['quote']}" == symbol
        assert m["id"] and m["active"] is True
        assert m["precision"]["amount"] > 0 and m["precision"]["price"] > 0
        assert m["limits"]["amount"]["min"] > 0 and m["limits"]["cost"]["min"] > 0
        assert 0 < m["maker"] <= m["taker"] < 0.01


def test_tickers_have_the_ccxt_shape(gateway: VenueGateway) -> None:
    tickers = gateway.fetch_tickers()
    assert sorted(tickers) == sorted(SYMBOLS)
    for symbol, t in tickers.items():
        assert t["symbol"] == symbol and t["timestamp"] == NOW
        assert 0 < t["bid"] < t["ask"] and t["low"] <= t["high"]
        assert t["bid"] <= t["last"] <= t["ask"]
        assert t["baseVolume"] > 0 and t["quoteVolume"] > 0
    assert list(gateway.fetch_tickers(["ETH/USDT"])) == ["ETH/USDT"]
    with pytest.raises(VenueRejected):
        gateway.fetch_tickers(["NOPE/USDT"])


def test_ohlcv_is_ascending_closed_only_and_paged_by_the_capability_limit(gateway: VenueGateway) -> None:
    cap = gateway.capabilities.ohlcv_limit
    latest = gateway.fetch_ohlcv("BTC/USDT", "1h", limit=10_000)
    assert len(latest) == cap
    assert all(len(row) == 6 and isinstance(row[0], int) for row in latest)
    assert latest[-1][0] + HOUR <= NOW < latest[-1][0] + 2 * HOUR  # newest closed bar, nothing later
    since = MARKET.start_ms + 5 * HOUR
    rows: list[list[float]] = []
    while True:  # page forward as a fetcher would
        page = gateway.fetch_ohlcv("BTC/USDT", "1h", since=since, limit=cap + 50)
        if not page:
            break
        assert len(page) <= cap
        rows += page
        since = int(page[-1][0]) + HOUR
    stamps = [int(r[0]) for r in rows]
    assert stamps == list(range(MARKET.start_ms + 5 * HOUR, MARKET.history_end_ms, HOUR))
    assert [r[0] for r in gateway.fetch_ohlcv("BTC/USDT", "1h", since=stamps[7], limit=3)] == stamps[7:10]
    four = gateway.fetch_ohlcv("BTC/USDT", "4h", limit=5)
    assert all(r[0] + 4 * HOUR <= NOW for r in four) and len(four) == 5
    with pytest.raises(VenueRejected):
        gateway.fetch_ohlcv("NOPE/USDT")


def test_order_book_has_sorted_levels_around_the_current_price(gateway: VenueGateway) -> None:
    book = gateway.fetch_order_book("ETH/USDT")
    bids, asks = book["bids"], book["asks"]
    assert book["symbol"] == "ETH/USDT" and book["timestamp"] == NOW
    assert len(bids) >= 5 and len(asks) >= 5
    assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
    assert [p for p, _ in asks] == sorted(p for p, _ in asks)
    assert bids[0][0] < asks[0][0] and all(a > 0 for _, a in bids + asks)
    mid = (bids[0][0] + asks[0][0]) / 2
    assert mid == pytest.approx(MARKET.price_at("ETH/USDT", NOW), rel=5e-4)
    assert len(gateway.fetch_order_book("ETH/USDT", limit=3)["asks"]) == 3


def test_two_venues_quote_slightly_different_prices() -> None:
    venues = default_sim_venues(3, SimClock(MARKET.history_end_ms))
    alpha, beta = venues["sim-alpha"], venues["sim-beta"]
    shared = sorted(set(alpha.load_markets()) & set(beta.load_markets()))
    assert len(alpha.load_markets()) >= 50 and len(beta.load_markets()) >= 50
    assert set(alpha.load_markets()) != set(beta.load_markets()) and len(shared) >= 40
    assert alpha.capabilities.taker_fee != beta.capabilities.taker_fee
    a = alpha.fetch_tickers(shared[:10])
    b = beta.fetch_tickers(shared[:10])
    assert any(a[s]["last"] != b[s]["last"] for s in shared[:10])
    assert all(a[s]["last"] == pytest.approx(b[s]["last"], rel=1e-3) for s in shared[:10])


# --- orders -------------------------------------------------------------------
def test_market_order_round_trip_and_balance_change(gateway: VenueGateway) -> None:
    before = gateway.fetch_balance()
    assert before["total"]["USDT"] == CASH and before["free"]["USDT"] == CASH and before["USDT"]["used"] == 0
    created = gateway.create_order("ETH/USDT", "market", "buy", 3.0, params={"clientOrderId": "rt-1"})
    assert created["status"] == "closed" and created["clientOrderId"] == "rt-1"
    assert created["filled"] == 3.0 and created["remaining"] == 0
    by_id = gateway.fetch_order(created["id"], "ETH/USDT")
    by_client = gateway.fetch_order_by_client_id("rt-1", "ETH/USDT")
    assert by_id == by_client == created
    trades = [t for t in gateway.fetch_my_trades("ETH/USDT") if t["order"] == created["id"]]
    assert trades and sum(t["amount"] for t in trades) == pytest.approx(3.0)
    for t in trades:
        assert t["symbol"] == "ETH/USDT" and t["side"] == "buy" and t["clientOrderId"] == "rt-1"
        assert t["cost"] == pytest.approx(t["amount"] * t["price"])
        assert t["fee"]["currency"] == "USDT" and t["fee"]["cost"] == pytest.approx(t["cost"] * 0.001)
        assert t["timestamp"] == NOW and t["id"]
    cost, fee = created["cost"], created["fee"]["cost"]
    assert cost == pytest.approx(sum(t["cost"] for t in trades))
    after = gateway.fetch_balance()
    assert before["total"]["USDT"] - after["total"]["USDT"] == pytest.approx(cost + fee, rel=1e-12)
    assert after["total"]["ETH"] == pytest.approx(3.0)

    sold = gateway.create_order("ETH/USDT", "market", "sell", 1.0, params={"clientOrderId": "rt-2"})
    final = gateway.fetch_balance()
    assert final["total"]["USDT"] - after["total"]["USDT"] == pytest.approx(sold["cost"] - sold["fee"]["cost"])
    assert final["total"]["ETH"] == pytest.approx(2.0)
    assert len({t["id"] for t in gateway.fetch_my_trades()}) == len(gateway.fetch_my_trades())


def test_limit_order_rests_reserves_funds_and_cancels(gateway: VenueGateway) -> None:
    bid = gateway.fetch_order_book("BTC/USDT")["bids"][0][0]
    price = round(bid * 0.9, 1)
    order = gateway.create_order("BTC/USDT", "limit", "buy", 0.5, price, params={"clientOrderId": "lim-1"})
    assert order["status"] == "open" and order["filled"] == 0 and order["remaining"] == 0.5
    assert [o["id"] for o in gateway.fetch_open_orders("BTC/USDT")] == [order["id"]]
    assert gateway.fetch_open_orders("ETH/USDT") == []
    reserved = gateway.fetch_balance()
    assert reserved["used"]["USDT"] >= 0.5 * price and reserved["total"]["USDT"] == CASH
    canceled = gateway.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled" and canceled["filled"] == 0
    assert gateway.fetch_open_orders() == []
    assert gateway.fetch_order_by_client_id("lim-1")["status"] == "canceled"
    assert gateway.fetch_balance()["used"]["USDT"] == 0
    with pytest.raises(VenueRejected):
        gateway.cancel_order(order["id"])


def test_marketable_limit_order_fills_like_a_taker(gateway: VenueGateway) -> None:
    ask = gateway.fetch_order_book("LINK/USDT")["asks"][0][0]
    order = gateway.create_order("LINK/USDT", "limit", "buy", 10.0, ask * 1.01)
    assert order["status"] == "closed" and order["filled"] == 10.0 and order["average"] <= ask * 1.01


def test_refusals(gateway: VenueGateway) -> None:
    assert gateway.fetch_order_by_client_id("never-sent") is None
    gateway.create_order("DOGE/USDT", "market", "buy", 1_000.0, params={"clientOrderId": "dup"})
    with pytest.raises(VenueRejected) as dup:
        gateway.create_order("DOGE/USDT", "market", "buy", 1_000.0, params={"clientOrderId": "dup"})
    assert dup.value.reason == "duplicate clientOrderId"
    assert len(gateway.fetch_my_trades("DOGE/USDT")) == len(gateway.fetch_order_by_client_id("dup")["trades"])
    with pytest.raises(VenueRejected):
        gateway.create_order("NOPE/USDT", "market", "buy", 1.0)
    with pytest.raises(InsufficientFunds):
        gateway.create_order("BTC/USDT", "market", "buy", 100.0)
    with pytest.raises(InsufficientFunds):
        gateway.create_order("BTC/USDT", "market", "sell", 0.01)
    with pytest.raises(VenueRejected):
        gateway.create_order("DOGE/USDT", "market", "buy", 1.0)  # below the minimum notional
    with pytest.raises(VenueRejected):
        gateway.fetch_order("no-such-order")


# --- faults -------------------------------------------------------------------
def test_read_faults_raise_retryable_errors(build: Callable[[FaultPlan | None], VenueGateway]) -> None:
    faulty = build(FaultPlan(timeout={"fetch_ohlcv": 1.0}, rate_limit={"fetch_tickers": 1.0}))
    with pytest.raises(TransientVenueError) as timeout:
        faulty.fetch_ohlcv("BTC/USDT")
    assert not isinstance(timeout.value, RateLimited)
    with pytest.raises(RateLimited):
        faulty.fetch_tickers()
    assert faulty.fetch_order_book("BTC/USDT")["asks"]  # other methods are unaffected
    assert build(FaultPlan(empty_ohlcv=1.0)).fetch_ohlcv("BTC/USDT") == []


def test_fault_draws_are_seeded(build: Callable[[FaultPlan | None], VenueGateway]) -> None:
    def pattern(seed: int) -> list[bool]:
        gateway = build(FaultPlan(seed=seed, timeout={"*": 0.5}))
        out = []
        for _ in range(30):
            try:
                gateway.fetch_order_book("BTC/USDT")
                out.append(False)
            except TransientVenueError:
                out.append(True)
        return out

    assert pattern(1) == pattern(1) and any(pattern(1)) and not all(pattern(1))
    assert pattern(1) != pattern(2)


@pytest.mark.parametrize("applied", [True, False])
def test_create_timeout_is_an_unknown_outcome_resolved_by_client_id(applied: bool) -> None:
    plan = FaultPlan(timeout={"create_order": 1.0}, applied_on_timeout=1.0 if applied else 0.0)
    venue = sim_venue(plan)
    with pytest.raises(OrderOutcomeUnknown):
        venue.create_order("ETH/USDT", "market", "buy", 1.0, params={"clientOrderId": "lost"})
    found = venue.fetch_order_by_client_id("lost")
    if applied:
        assert found is not None and found["status"] == "closed" and found["filled"] == 1.0
        assert venue.fetch_balance()["total"]["ETH"] == 1.0
    else:
        assert found is None and venue.fetch_my_trades() == []


def test_cancel_timeout_and_create_rate_limit() -> None:
    venue = sim_venue(
        FaultPlan(timeout={"cancel_order": 1.0}, rate_limit={"create_order": 0.0}, applied_on_timeout=1.0)
    )
    bid = venue.fetch_order_book("ETH/USDT")["bids"][0][0]
    order = venue.create_order("ETH/USDT", "limit", "buy", 1.0, bid * 0.8, params={"clientOrderId": "c"})
    with pytest.raises(OrderOutcomeUnknown):
        venue.cancel_order(order["id"])
    assert venue.fetch_order(order["id"])["status"] == "canceled"
    limited = sim_venue(FaultPlan(rate_limit={"create_order": 1.0}))
    with pytest.raises(RateLimited):
        limited.create_order("ETH/USDT", "market", "buy", 1.0, params={"clientOrderId": "r"})
    assert limited.fetch_order_by_client_id("r") is None  # a rate-limited create never took effect


def test_paper_broker_surfaces_venue_read_faults_without_recording_an_order(tmp_path: Path) -> None:
    broker = build_paper(tmp_path, FaultPlan(timeout={"fetch_order_book": 1.0})).gateway
    with pytest.raises(TransientVenueError):
        broker.create_order("ETH/USDT", "market", "buy", 1.0, params={"clientOrderId": "p"})
    assert broker.fetch_order_by_client_id("p") is None
    assert broker.fetch_balance()["total"] == {"USDT": CASH}
