"""Stage 1: filters with readable reasons, liquidity ranking, top-N cut, batches; snapshots from the sim."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.adapters.venues.sim_exchange import SimExchange, default_sim_venues
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.config import Settings
from tradepipe.config.sections import DiscoverySection
from tradepipe.core.discovery import FILTERS, build_universe, collect_snapshots
from tradepipe.core.discovery.universe import score
from tradepipe.domain.market import MarketSnapshot
from tradepipe.errors import ConfigurationError
from tradepipe.wiring import first_as_of_ms

AS_OF = 1_767_225_600_000


def snap(
    symbol: str = "BTC/USDT",
    *,
    venue: str = "v1",
    last: float = 100.0,
    spread_bps: float = 2.0,
    quote_volume: float = 1_000_000.0,
    quote: str | None = None,
) -> MarketSnapshot:
    """A snapshot that passes the default filters unless told otherwise; bid/ask straddle ``last``."""
    base, _, sym_quote = symbol.partition("/")
    half = last * spread_bps / 20_000
    return MarketSnapshot(
        venue=venue,
        symbol=symbol,
        base=base,
        quote=quote or sym_quote,
        last=last,
        bid=last - half,
        ask=last + half,
        quote_volume=quote_volume,
    )


def passes_all(s: MarketSnapshot, cfg: DiscoverySection) -> bool:
    return (
        s.quote == cfg.quote
        and s.symbol not in cfg.blacklist
        and s.base not in cfg.blacklist
        and s.last >= cfg.min_price
        and s.quote_volume >= cfg.min_quote_volume
        and s.spread_bps <= cfg.max_spread_bps
    )


# --- filters -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snapshot", "cfg", "reason"),
    [
        (snap("BTC/EUR"), DiscoverySection(), "quote EUR is not USDT"),
        (snap("SHIT/USDT"), DiscoverySection(blacklist=("SHIT/USDT",)), "blacklisted"),
        (snap("SHIT/USDT"), DiscoverySection(blacklist=("SHIT",)), "blacklisted"),
        (snap("DUST/USDT", last=0.00005), DiscoverySection(), "price 5e-05 < 0.0001"),
        (snap("THIN/USDT", quote_volume=54_321.4), DiscoverySection(), "quote volume 54,321 < 100,000"),
        (snap("WIDE/USDT", spread_bps=200.0), DiscoverySection(), "spread 200.0 bps > 50"),
    ],
    ids=["quote", "blacklist-symbol", "blacklist-base", "price", "volume", "spread"],
)
def test_each_filter_rejects_with_its_reason(snapshot: MarketSnapshot, cfg: DiscoverySection, reason: str) -> None:
    good = snap("BTC/USDT")
    universe = build_universe([snapshot, good], cfg, as_of_ms=AS_OF)
    assert universe.rejected == ((snapshot.venue, snapshot.symbol, reason),)
    assert [e.symbol for e in universe.entries] == ["BTC/USDT"]


@pytest.mark.parametrize(
    ("snapshot", "cfg", "reason"),
    [
        (snap("ALT/USDT"), DiscoverySection(whitelist=("BTC", "ETH/USDT")), "not whitelisted"),
        (snap("PRICY/USDT", last=5_000.0), DiscoverySection(max_price=1_000.0), "price 5000 > 1000"),
        (replace(snap("NEW/USDT"), listed_at_ms=AS_OF - 2 * 86_400_000), DiscoverySection(min_age_days=7),
         "listed 2.0 days ago < 7"),
        (replace(snap("CALM/USDT"), high=100.5, low=99.5), DiscoverySection(min_volatility_pct=2.0),
         "24h range 1.00% < 2%"),
        (replace(snap("WILD/USDT"), high=150.0, low=70.0), DiscoverySection(max_volatility_pct=40.0),
         "24h range 80.00% > 40%"),
    ],
    ids=["whitelist", "max-price", "min-age", "min-volatility", "max-volatility"],
)  # fmt: skip
def test_each_newer_filter_rejects_with_its_reason(
    snapshot: MarketSnapshot, cfg: DiscoverySection, reason: str
) -> None:
    universe = build_universe([snapshot, replace(snap("BTC/USDT"), high=103.0, low=98.0)], cfg, as_of_ms=AS_OF)
    assert universe.rejected == ((snapshot.venue, snapshot.symbol, reason),)
    assert [e.symbol for e in universe.entries] == ["BTC/USDT"]


def test_filters_are_registered_classes_chosen_and_ordered_by_config() -> None:
    assert {"quote", "blacklist", "whitelist", "price", "volume", "spread", "age", "volatility"} <= set(FILTERS)
    assert all(isinstance(cls.name, str) and callable(cls().reject) for cls in FILTERS.values())
    bad = snap("BAD/EUR", quote_volume=10.0)
    only_volume = build_universe([bad], DiscoverySection(filters=("volume", "quote")), as_of_ms=AS_OF)
    assert only_volume.rejected[0][2].startswith("quote volume")  # the first filter in config order speaks
    assert build_universe([bad], DiscoverySection(filters=()), as_of_ms=AS_OF).entries[0].symbol == "BAD/EUR"
    unchecked = DiscoverySection().model_copy(update={"filters": ("quote", "nope")})  # load refuses it first
    with pytest.raises(ConfigurationError, match=r"discovery\.filters: unknown filter\(s\) \['nope'\]"):
        build_universe([bad], unchecked, as_of_ms=AS_OF)


def test_liquidity_ranking_discounts_a_wide_spread() -> None:
    deep = snap("DEEP/USDT", quote_volume=5e6, spread_bps=1.0)
    wide = snap("WIDE/USDT", quote_volume=8e6, spread_bps=40.0)
    by_liquidity = build_universe([wide, deep], DiscoverySection(), as_of_ms=AS_OF)
    assert [e.symbol for e in by_liquidity.entries] == ["DEEP/USDT", "WIDE/USDT"]
    assert by_liquidity.entries[0].score == pytest.approx(5e6 / 1.1)
    by_volume = build_universe([wide, deep], DiscoverySection(ranking="volume"), as_of_ms=AS_OF)
    assert [e.symbol for e in by_volume.entries] == ["WIDE/USDT", "DEEP/USDT"]


def test_thresholds_are_inclusive() -> None:
    edge = snap("EDGE/USDT", last=0.5, quote_volume=1_000.0, spread_bps=10.0)
    cfg = DiscoverySection(min_quote_volume=1_000.0, min_price=0.5, max_spread_bps=edge.spread_bps)
    universe = build_universe([edge], cfg, as_of_ms=AS_OF)
    assert [e.symbol for e in universe.entries] == ["EDGE/USDT"]
    assert universe.rejected == ()


def test_a_snapshot_failing_several_filters_is_rejected_once() -> None:
    bad = snap("BAD/EUR", last=0.00001, quote_volume=10.0, spread_bps=500.0)
    universe = build_universe([bad], DiscoverySection(), as_of_ms=AS_OF)
    assert len(universe.rejected) == 1
    assert universe.rejected[0][:2] == ("v1", "BAD/EUR")
    assert universe.entries == ()
    assert universe.batches == ()


# --- ranking, top-N, batches ------------------------------------------------------------------------------------


def test_entries_are_ranked_by_quote_volume_with_ties_by_venue_then_symbol() -> None:
    snaps = [
        snap("AAA/USDT", venue="v2", quote_volume=5e6),
        snap("BBB/USDT", venue="v1", quote_volume=9e6),
        snap("CCC/USDT", venue="v1", quote_volume=5e6),
        snap("AAA/USDT", venue="v1", quote_volume=5e6),
        snap("DDD/USDT", venue="v1", quote_volume=2e5),
    ]
    universe = build_universe(snaps, DiscoverySection(), as_of_ms=AS_OF)
    assert [(e.venue, e.symbol, e.rank) for e in universe.entries] == [
        ("v1", "BBB/USDT", 1),
        ("v1", "AAA/USDT", 2),
        ("v1", "CCC/USDT", 3),
        ("v2", "AAA/USDT", 4),
        ("v1", "DDD/USDT", 5),
    ]
    assert universe.entries[0].quote_volume == 9e6
    assert universe.entries[0].last == 100.0
    assert universe.as_of_ms == AS_OF


def test_top_n_cut_rejects_the_rest_with_their_rank() -> None:
    snaps = [snap(f"S{i:02d}/USDT", quote_volume=1e6 + i) for i in range(7)]  # S06 is the largest
    universe = build_universe(snaps, DiscoverySection(max_symbols=40), as_of_ms=AS_OF, max_symbols=4)
    assert [e.symbol for e in universe.entries] == ["S06/USDT", "S05/USDT", "S04/USDT", "S03/USDT"]
    assert universe.rejected == (
        ("v1", "S02/USDT", "rank 5 beyond top 4"),
        ("v1", "S01/USDT", "rank 6 beyond top 4"),
        ("v1", "S00/USDT", "rank 7 beyond top 4"),
    )


def test_config_max_symbols_applies_without_override() -> None:
    snaps = [snap(f"S{i:02d}/USDT", quote_volume=1e6 + i) for i in range(5)]
    universe = build_universe(snaps, DiscoverySection(max_symbols=2), as_of_ms=AS_OF)
    assert [e.rank for e in universe.entries] == [1, 2]
    assert [r[2] for r in universe.rejected] == ["rank 3 beyond top 2", "rank 4 beyond top 2", "rank 5 beyond top 2"]


def test_batches_follow_batch_size_in_rank_order() -> None:
    snaps = [snap(f"S{i:02d}/USDT", quote_volume=1e6 + i) for i in range(7)]
    universe = build_universe(snaps, DiscoverySection(batch_size=3), as_of_ms=AS_OF)
    assert [b.index for b in universe.batches] == [0, 1, 2]
    assert [len(b.entries) for b in universe.batches] == [3, 3, 1]
    assert tuple(e for b in universe.batches for e in b.entries) == universe.entries


def test_no_snapshots_gives_an_empty_universe() -> None:
    universe = build_universe([], DiscoverySection(), as_of_ms=AS_OF)
    assert (universe.entries, universe.batches, universe.rejected) == ((), (), ())


snapshot_strategy = st.builds(
    snap,
    st.sampled_from(["BTC/USDT", "ETH/USDT", "PEPE/USDT", "XRP/EUR", "SCAM/USDT", "DOT/BTC"]),
    venue=st.sampled_from(["v1", "v2", "v3"]),
    last=st.floats(1e-6, 1e5, allow_nan=False),
    spread_bps=st.floats(0.1, 200.0, allow_nan=False),
    quote_volume=st.floats(0.0, 1e8, allow_nan=False),
)


@settings(max_examples=150, deadline=None)
@given(
    snaps=st.lists(snapshot_strategy, max_size=18, unique_by=lambda s: (s.venue, s.symbol)),
    max_symbols=st.integers(1, 10),
    batch_size=st.integers(1, 5),
)
def test_universe_partitions_snapshots(snaps: list[MarketSnapshot], max_symbols: int, batch_size: int) -> None:
    cfg = DiscoverySection(max_symbols=max_symbols, batch_size=batch_size, blacklist=("SCAM",))
    universe = build_universe(snaps, cfg, as_of_ms=AS_OF)
    kept = {(e.venue, e.symbol) for e in universe.entries}
    rejected = Counter((v, s) for v, s, _ in universe.rejected)
    # every snapshot ends up exactly once: kept or rejected with a reason
    assert kept.isdisjoint(rejected)
    assert kept | set(rejected) == {(s.venue, s.symbol) for s in snaps}
    assert all(n == 1 for n in rejected.values())
    passing = [s for s in snaps if passes_all(s, cfg)]
    assert len(universe.entries) == min(max_symbols, len(passing))
    by_key = {(s.venue, s.symbol): s for s in snaps}
    assert all(passes_all(by_key[k], cfg) for k in kept)
    # the kept ones have the best liquidity score (volume discounted by spread), in order, ranked 1..n
    scores = [e.score for e in universe.entries]
    assert scores == sorted(scores, reverse=True)
    assert all(e.score == score(by_key[(e.venue, e.symbol)], "liquidity") for e in universe.entries)
    assert [e.rank for e in universe.entries] == list(range(1, len(universe.entries) + 1))
    if universe.entries and len(passing) > len(universe.entries):
        dropped = [score(by_key[k], "liquidity") for k in {(s.venue, s.symbol) for s in passing} - kept]
        assert max(dropped) <= min(scores)
    assert all(0 < len(b.entries) <= batch_size for b in universe.batches)
    assert [b.index for b in universe.batches] == list(range(len(universe.batches)))
    assert tuple(e for b in universe.batches for e in b.entries) == universe.entries


# --- snapshots from the simulated venues ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_time() -> int:
    return first_as_of_ms(Settings())


@pytest.fixture(scope="module")
def sim_venues(sim_time: int) -> dict[str, SimExchange]:
    return default_sim_venues(Settings().seed, SimClock(sim_time))


def test_collect_snapshots_covers_every_market_of_every_venue(sim_venues: dict[str, SimExchange]) -> None:
    snaps = collect_snapshots(sim_venues)
    assert Counter(s.venue for s in snaps) == {"sim-alpha": 65, "sim-beta": 71}
    for name, venue in sim_venues.items():
        markets = venue.load_markets()
        tickers = venue.fetch_tickers()
        mine = {s.symbol: s for s in snaps if s.venue == name}
        assert set(mine) == set(markets)
        for symbol, s in mine.items():
            t = tickers[symbol]
            assert (
                (s.base, s.quote)
                == (markets[symbol]["base"], markets[symbol]["quote"])
                == (
                    symbol.split("/")[0],
                    "USDT",
                )
            )
            assert (s.last, s.bid, s.ask, s.quote_volume) == (t["last"], t["bid"], t["ask"], t["quoteVolume"])
            assert 0 < s.bid <= s.last <= s.ask
            assert s.quote_volume > 0


class DelistingSimExchange(SimExchange):
    """A sim venue that reports one of its markets as inactive (delisted), as ccxt does with ``active``."""

    delisted = "ETH/USDT"

    def load_markets(self) -> dict[str, dict[str, Any]]:
        markets = super().load_markets()
        markets[self.delisted]["active"] = False
        return markets


def test_collect_snapshots_skips_inactive_markets(sim_time: int) -> None:
    market = SimMarket(Settings().seed, history_bars=700, future_bars=0)
    venue = DelistingSimExchange(
        "sim-delist",
        market,
        SimClock(sim_time),
        symbols=["BTC/USDT", "ETH/USDT", "SOL/USDT"],
        taker_fee=0.001,
        maker_fee=0.001,
        depth_usd=100_000.0,
        spread_bps=3.0,
    )
    snaps = collect_snapshots({"sim-delist": venue})
    assert sorted(s.symbol for s in snaps) == ["BTC/USDT", "SOL/USDT"]


def test_universe_from_the_sim_respects_default_discovery_settings(
    sim_venues: dict[str, SimExchange], sim_time: int
) -> None:
    cfg = Settings().discovery
    snaps = collect_snapshots(sim_venues)
    universe = build_universe(snaps, cfg, as_of_ms=sim_time)
    passing = [s for s in snaps if passes_all(s, cfg)]
    assert len(universe.entries) == min(cfg.max_symbols, len(passing))
    assert len(universe.entries) + len(universe.rejected) == len(snaps)
    assert len(universe.batches) == -(-len(universe.entries) // cfg.batch_size)
    assert all(len(b.entries) <= cfg.batch_size for b in universe.batches)
    assert all(e.quote_volume >= cfg.min_quote_volume for e in universe.entries)
    top = max(passing, key=lambda s: s.quote_volume)
    assert (universe.entries[0].venue, universe.entries[0].symbol) == (top.venue, top.symbol)
    # the sim lists thin synthetic coins: some are filtered for volume, with the reason spelled out
    assert any(reason.startswith("quote volume ") for _, _, reason in universe.rejected)
