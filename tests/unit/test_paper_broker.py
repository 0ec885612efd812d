"""PaperBroker: fills against the venue's book with fees, a persisted Decimal wallet, idempotent ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tradepipe.adapters.venues.paper_broker import PaperBroker
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.errors import InsufficientFunds, OrderOutcomeUnknown, RateLimited, TransientVenueError, VenueRejected

HOUR = 3_600_000
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]


@dataclass
class SteppingClock:
    """A clock the test moves by hand."""

    at_ms: int

    def now_ms(self) -> int:
        return self.at_ms


@pytest.fixture(scope="module")
def market() -> SimMarket:
    return SimMarket(seed=5, history_bars=300, future_bars=200)


def make_venue(market: SimMarket, clock: SimClock | SteppingClock, depth_usd: float = 300_000.0) -> SimExchange:
    return SimExchange(
        "sim-test",
        market,
        clock,
        symbols=SYMBOLS,
        taker_fee=0.001,
        maker_fee=0.0005,
        depth_usd=depth_usd,
        spread_bps=2.0,
    )


def make_broker(venue: SimExchange, path: Path, cash: float = 50_000.0, **kw: float) -> PaperBroker:
    return PaperBroker(venue, path, venue.clock, starting_cash={"USDT": cash}, **kw)


def wallet(path: Path) -> dict[str, Decimal]:
    data = json.loads(path.read_text())
    return {k: Decimal(v) for k, v in data["account"]["balances"].items()}


def walked_cost(levels: list[list[float]], amount: Decimal) -> tuple[Decimal, Decimal]:
    """(filled, cost) of taking ``amount`` from ``levels``, computed independently in Decimal."""
    filled = cost = Decimal(0)
    for price, size in levels:
        take = min(amount - filled, Decimal(repr(size)))
        if take <= 0:
            break
        filled += take
        cost += take * Decimal(repr(price))
    return filled, cost


def test_market_buy_walks_the_book_and_charges_the_taker_fee_in_quote(market: SimMarket, tmp_path: Path) -> None:
    venue = make_venue(market, SimClock(market.history_end_ms))
    broker = make_broker(venue, tmp_path / "w.json", cash=500_000.0)
    book = venue.fetch_order_book("BTC/USDT")
    amount = Decimal("1.7")  # more than the best level: several levels are walked
    assert Decimal(repr(book["asks"][0][1])) < amount
    filled, cost = walked_cost(book["asks"], amount)
    order = broker.create_order("BTC/USDT", "market", "buy", 1.7, params={"clientOrderId": "c-1"})
    fee = cost * Decimal("0.001")
    assert order["status"] == "closed" and order["filled"] == pytest.approx(1.7)
    assert order["cost"] == pytest.approx(float(cost)) and order["fee"] == {"cost": float(fee), "currency": "USDT"}
    assert order["average"] > book["asks"][0][0]  # slippage beyond the top level
    assert len(order["trades"]) > 1
    assert wallet(tmp_path / "w.json") == {"BTC": filled, "USDT": Decimal(500_000) - cost - fee}


def test_fee_rate_override_and_sell_proceeds_net_of_fee(market: SimMarket, tmp_path: Path) -> None:
    venue = make_venue(market, SimClock(market.history_end_ms))
    broker = make_broker(venue, tmp_path / "w.json", fee_rate=0.002)
    assert broker.capabilities.taker_fee == 0.002
    broker.create_order("ETH/USDT", "market", "buy", 2.0)
    before = wallet(tmp_path / "w.json")
    sell = broker.create_order("ETH/USDT", "market", "sell", 1.5)
    after = wallet(tmp_path / "w.json")
    cost = Decimal(repr(sell["cost"]))
    assert sell["fee"]["cost"] == pytest.approx(sell["cost"] * 0.002)
    assert after["ETH"] == before["ETH"] - Decimal("1.5")
    assert after["USDT"] - before["USDT"] == pytest.approx(cost * Decimal("0.998"), rel=Decimal("1e-12"))


def test_thin_book_gives_a_partial_fill_and_cancels_the_rest(market: SimMarket, tmp_path: Path) -> None:
    venue = make_venue(market, SimClock(market.history_end_ms), depth_usd=2_000.0)
    broker = make_broker(venue, tmp_path / "w.json")
    asks = venue.fetch_order_book("SOL/USDT")["asks"]
    available = sum(Decimal(repr(a)) for _, a in asks)
    price = asks[0][0]
    want = float(available) * 3
    assert want * price < 50_000  # affordable: the book, not the wallet, is the limit
    order = broker.create_order("SOL/USDT", "market", "buy", want, params={"clientOrderId": "thin"})
    assert order["status"] == "canceled"
    assert order["filled"] == pytest.approx(float(available)) and order["remaining"] == pytest.approx(
        want - float(available)
    )
    assert len(broker.fetch_my_trades("SOL/USDT")) == len(asks)
    assert wallet(tmp_path / "w.json")["SOL"] == available


def test_wallet_is_persisted_and_reloaded_by_a_new_instance(market: SimMarket, tmp_path: Path) -> None:
    path = tmp_path / "paper" / "sim-test.json"
    venue = make_venue(market, SimClock(market.history_end_ms))
    first = make_broker(venue, path)
    buy = first.create_order("BTC/USDT", "market", "buy", 0.25, params={"clientOrderId": "run1-a"})
    rest = first.create_order("ETH/USDT", "limit", "buy", 1.0, price=100.0, params={"clientOrderId": "run1-b"})
    raw = json.loads(path.read_text())
    assert all(isinstance(v, str) for v in raw["account"]["balances"].values())
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left behind

    second = make_broker(venue, path, cash=1.0)  # starting cash is ignored once the file exists
    assert second.fetch_balance()["total"] == first.fetch_balance()["total"]
    assert second.fetch_balance()["total"]["USDT"] > 1.0
    assert second.fetch_order_by_client_id("run1-a") == buy
    assert second.fetch_open_orders() == [first.fetch_order(rest["id"])]
    nxt = second.create_order("BTC/USDT", "market", "sell", 0.1)
    assert nxt["id"] == "paper-sim-test-3"  # counters continue: ids are reproducible across runs
    assert {t["id"] for t in second.fetch_my_trades()} >= {t["id"] for t in buy["trades"]}
    assert len({t["id"] for t in second.fetch_my_trades()}) == len(second.fetch_my_trades())


def test_duplicate_client_order_id_is_refused_and_changes_nothing(market: SimMarket, tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    venue = make_venue(market, SimClock(market.history_end_ms))
    broker = make_broker(venue, path)
    broker.create_order("BTC/USDT", "market", "buy", 0.1, params={"clientOrderId": "same"})
    snapshot = path.read_bytes()
    for gateway in (broker, make_broker(venue, path)):  # also from a later process
        with pytest.raises(VenueRejected) as err:
            gateway.create_order("BTC/USDT", "market", "buy", 0.1, params={"clientOrderId": "same"})
        assert err.value.reason == "duplicate clientOrderId"
    assert path.read_bytes() == snapshot
    assert len(broker.fetch_my_trades()) == len(broker.fetch_order_by_client_id("same")["trades"])


def test_insufficient_funds_for_buys_and_sells(market: SimMarket, tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    venue = make_venue(market, SimClock(market.history_end_ms))
    broker = make_broker(venue, path, cash=1_000.0)
    snapshot = path.read_bytes()
    price = venue.fetch_order_book("ETH/USDT")["asks"][0][0]
    with pytest.raises(InsufficientFunds):
        broker.create_order("ETH/USDT", "market", "buy", 1_000.0 / price)  # the fee tips it over
    with pytest.raises(InsufficientFunds):
        broker.create_order("ETH/USDT", "limit", "buy", 2_000.0 / (price * 0.9), price=price * 0.9)  # resting
    with pytest.raises(InsufficientFunds):
        broker.create_order("ETH/USDT", "market", "sell", 0.01)
    assert path.read_bytes() == snapshot
    broker.create_order("ETH/USDT", "market", "buy", 0.2)
    with pytest.raises(InsufficientFunds):
        broker.create_order("ETH/USDT", "market", "sell", 0.2001)


def test_resting_limit_order_reserves_funds_and_fills_at_its_price_when_crossed(
    market: SimMarket, tmp_path: Path
) -> None:
    clock = SteppingClock(market.history_end_ms)
    venue = make_venue(market, clock)
    broker = make_broker(venue, tmp_path / "w.json")
    limit = round(venue.fetch_order_book("BTC/USDT")["asks"][0][0] * 0.99, 1)
    order = broker.create_order("BTC/USDT", "limit", "buy", 0.2, price=limit, params={"clientOrderId": "dip"})
    assert order["status"] == "open" and order["filled"] == 0
    used = broker.fetch_balance()["used"]["USDT"]
    assert used == pytest.approx(0.2 * limit * 1.0005)
    for _ in range(200):  # step the sim clock until the market dips through the limit
        clock.at_ms += HOUR
        if venue.fetch_order_book("BTC/USDT")["asks"][0][0] <= limit:
            break
    else:
        pytest.fail("the sim path never dipped 1% within 200 bars")
    filled = broker.fetch_order(order["id"])
    assert filled["status"] == "closed" and filled["average"] == limit
    assert filled["trades"][0]["takerOrMaker"] == "maker"
    assert filled["fee"]["cost"] == pytest.approx(0.2 * limit * 0.0005)
    balance = broker.fetch_balance()
    assert balance["used"]["USDT"] == 0 and balance["total"]["BTC"] == pytest.approx(0.2)


@pytest.mark.parametrize("applied", [True, False])
def test_a_timed_out_paper_order_is_unknown_and_found_by_client_id_only_if_it_took_effect(
    market: SimMarket, tmp_path: Path, applied: bool
) -> None:
    venue = make_venue(market, SimClock(market.start_ms + 250 * HOUR))
    plan = FaultPlan(timeout={"create_order": 1.0}, applied_on_timeout=1.0 if applied else 0.0)
    broker = PaperBroker(venue, tmp_path / "w.json", venue.clock, starting_cash={"USDT": 50_000.0}, faults=plan)
    with pytest.raises(OrderOutcomeUnknown):
        broker.create_order("BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "c-1"})
    found = make_broker(venue, tmp_path / "w.json").fetch_order_by_client_id("c-1")  # a later process looks it up
    assert (found is not None and found["status"] == "closed") is applied


def test_paper_account_reads_and_rate_limits_fail_as_the_plan_draws(market: SimMarket, tmp_path: Path) -> None:
    venue = make_venue(market, SimClock(market.start_ms + 250 * HOUR))
    plan = FaultPlan(timeout={"fetch_balance": 1.0}, rate_limit={"create_order": 1.0})
    broker = PaperBroker(venue, tmp_path / "w.json", venue.clock, starting_cash={"USDT": 50_000.0}, faults=plan)
    with pytest.raises(TransientVenueError):
        broker.fetch_balance()
    with pytest.raises(RateLimited):
        broker.create_order("BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "c-2"})
    assert broker.fetch_order_by_client_id("c-2") is None  # a rate limit has no effect
    assert wallet(tmp_path / "w.json") == {"USDT": Decimal("50000")}
