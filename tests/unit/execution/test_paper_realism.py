"""PaperBroker realism: a share of book depth, latency slippage, seeded rejects — so paper is not rosier than live."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.unit.execution.conftest import VenueFactory
from tradepipe.adapters.venues.paper_broker import PaperBroker
from tradepipe.adapters.venues.sim_account import Realism
from tradepipe.errors import VenueRejected

D = Decimal


def broker(make_venue: VenueFactory, path: Path, realism: Realism | None = None) -> PaperBroker:
    venue = make_venue(depth=50_000.0)
    return PaperBroker(venue, path, venue.clock, starting_cash={"USDT": 1_000_000.0}, realism=realism)


def average(order: dict[str, object]) -> Decimal:
    return D(repr(order["average"]))


def test_depth_share_and_latency_make_the_same_order_cost_more(make_venue: VenueFactory, tmp_path: Path) -> None:
    rosy = broker(make_venue, tmp_path / "rosy.json")
    real = broker(make_venue, tmp_path / "real.json", Realism(depth_share=0.5, latency_bps=2.0))
    a = rosy.create_order("ETH/USDT", "market", "buy", 5.0, None, {"clientOrderId": "a"})
    b = real.create_order("ETH/USDT", "market", "buy", 5.0, None, {"clientOrderId": "a"})
    assert len(b["trades"]) > len(a["trades"])  # half of each level: more levels walked
    assert average(b) > average(a)
    for trade in b["trades"]:  # every fill pays the latency move on top of its level price
        levels = [D(repr(p)) for p, _ in rosy.fetch_order_book("ETH/USDT")["asks"]]
        assert any(abs(D(repr(trade["price"])) - p * D("1.0002")) < D("1e-9") for p in levels)


def test_half_depth_halves_what_a_thin_book_fills(make_venue: VenueFactory, tmp_path: Path) -> None:
    rosy = broker(make_venue, tmp_path / "rosy.json")
    real = broker(make_venue, tmp_path / "real.json", Realism(depth_share=0.5))
    a = rosy.create_order("ETH/USDT", "market", "buy", 500.0, None, {"clientOrderId": "a"})
    b = real.create_order("ETH/USDT", "market", "buy", 500.0, None, {"clientOrderId": "a"})
    assert a["status"] == b["status"] == "canceled"  # the rest of a market order the book cannot take
    assert D(repr(b["filled"])) == pytest.approx(D(repr(a["filled"])) / 2, rel=D("1e-6"))


def test_reject_rate_is_seeded_by_client_id(make_venue: VenueFactory, tmp_path: Path) -> None:
    real = broker(make_venue, tmp_path / "real.json", Realism(reject_rate=0.2, seed=3))
    outcomes = []
    for i in range(100):
        try:
            real.create_order("DOGE/USDT", "market", "buy", 100.0, None, {"clientOrderId": f"c{i}"})
            outcomes.append(True)
        except VenueRejected as exc:
            assert "simulated reject" in exc.reason
            outcomes.append(False)
    assert 8 <= outcomes.count(False) <= 35
    again = broker(make_venue, tmp_path / "again.json", Realism(reject_rate=0.2, seed=3))
    for i in (j for j, ok in enumerate(outcomes) if not ok):  # the same ids are refused again, in any process
        with pytest.raises(VenueRejected):
            again.create_order("DOGE/USDT", "market", "buy", 100.0, None, {"clientOrderId": f"c{i}"})


def test_a_venue_without_unique_client_ids_takes_a_reused_one(make_venue: VenueFactory, tmp_path: Path) -> None:
    strict = broker(make_venue, tmp_path / "strict.json")
    lax = broker(make_venue, tmp_path / "lax.json", Realism(unique_client_ids=False))
    assert strict.capabilities.client_order_id_unique and not lax.capabilities.client_order_id_unique
    for gateway in (strict, lax):
        gateway.create_order("ETH/USDT", "market", "buy", 0.1, None, {"clientOrderId": "same"})
    with pytest.raises(VenueRejected, match="duplicate"):
        strict.create_order("ETH/USDT", "market", "buy", 0.1, None, {"clientOrderId": "same"})
    lax.create_order("ETH/USDT", "market", "buy", 0.1, None, {"clientOrderId": "same"})
    assert len(lax.account.state.orders) == 2  # why the crash harness can see a duplicate send
