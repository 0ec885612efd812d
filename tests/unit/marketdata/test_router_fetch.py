"""Source router and incremental fetch, proved with SimExchange fault injection (no mocks, no sleeps)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.marketdata.conftest import HOUR, MARKET, NOW, SYMBOLS, FakeClock, batch, router, venue
from tradepipe.adapters.storage.candles import ParquetCandleStore, file_hash
from tradepipe.adapters.venues.sim_exchange import FaultPlan
from tradepipe.core.marketdata import BreakerState, ConsensusPolicy, WindowCache, fetch_batch, summarize
from tradepipe.errors import RateLimited, TransientVenueError

BARS = 300
SOLO = ConsensusPolicy(max_sources=1)


def expected(symbol: str, as_of: int, bars: int = BARS) -> np.ndarray:
    return MARKET.candles(symbol, until_ms=as_of)[-bars:]


def assert_matches_market(frame: pl.DataFrame, symbol: str, as_of: int) -> None:
    rows = frame.filter(pl.col("symbol") == symbol).sort("timestamp")
    want = expected(symbol, as_of)
    assert rows["timestamp"].to_list() == [int(t) for t in want[:, 0]]
    assert np.allclose(rows.select("open", "high", "low", "close", "volume").to_numpy(), want[:, 1:])


def test_fallback_serves_every_symbol_while_the_primary_fails_every_call(
    store: ParquetCandleStore, cache: WindowCache
) -> None:
    sources = {
        "alpha": venue("alpha", faults=FaultPlan(timeout={"*": 1.0})),
        "beta": venue("beta", symbols=SYMBOLS[:6]),
        "gamma": venue("gamma"),
    }
    r = router(sources, threshold=3)
    result = fetch_batch(
        batch("alpha", SYMBOLS), r, store, cache, timeframe="1h", bars=BARS, as_of_ms=NOW, consensus=SOLO
    )
    assert result.missing == ()
    frame = pl.read_parquet(result.ref.path)
    assert sorted(frame["symbol"].unique()) == sorted(SYMBOLS) and set(frame["venue"]) == {"alpha"}
    for symbol in SYMBOLS:
        assert_matches_market(frame, symbol, NOW)
    used = dict(((v, s), src) for v, s, src in result.fallbacks)
    assert used == {("alpha", s): ("beta" if s in SYMBOLS[:6] else "gamma") for s in SYMBOLS}
    provenance = store.provenance(result.ref)
    assert provenance is not None and set(provenance["source"]) == {"beta", "gamma"}
    alpha = r.breakers["alpha"]
    assert alpha.state is BreakerState.OPEN and alpha.stats().calls == 3  # opened, then never called again
    assert summarize([result])["open_circuits"] == 1 and summarize([result])["fallbacks"] == len(SYMBOLS)
    assert {st.source: st.state for st in result.sources}["alpha"] == "open"
    assert r.breakers["gamma"].state is BreakerState.CLOSED


def test_the_open_primary_is_probed_after_the_cooldown_and_trusted_again(
    store: ParquetCandleStore, cache: WindowCache
) -> None:
    clock = FakeClock()
    broken = {"alpha": venue("alpha", faults=FaultPlan(timeout={"*": 1.0})), "beta": venue("beta")}
    r = router(broken, clock, threshold=2, cooldown_s=60.0)
    fetch_batch(batch("alpha", SYMBOLS[:3]), r, store, cache, timeframe="1h", bars=BARS, as_of_ms=NOW, consensus=SOLO)
    assert r.breakers["alpha"].state is BreakerState.OPEN
    clock.advance(61.0)
    healed = {"alpha": venue("alpha", now=NOW + HOUR), "beta": venue("beta", now=NOW + HOUR)}
    r2 = router(healed, clock, breakers=r.breakers, threshold=2, cooldown_s=60.0)
    result = fetch_batch(
        batch("alpha", SYMBOLS[:3]), r2, store, cache, timeframe="1h", bars=BARS, as_of_ms=NOW + HOUR, consensus=SOLO
    )
    assert r2.breakers["alpha"].state is BreakerState.CLOSED and result.fallbacks == ()


def test_fetch_is_incremental_only_new_candles_are_requested(tmp_path: object, store: ParquetCandleStore) -> None:
    cache = WindowCache(store, keep_bars=400)
    symbols = SYMBOLS[:5]
    first = fetch_batch(
        batch("alpha", symbols), router({"alpha": venue("alpha")}), store, cache,
        timeframe="1h", bars=BARS, as_of_ms=NOW, consensus=SOLO,
    )  # fmt: skip
    assert first.rows_fetched == BARS * len(symbols) and first.cache_misses == len(symbols)
    later = NOW + 3 * HOUR
    r = router({"alpha": venue("alpha", now=later)})
    second = fetch_batch(
        batch("alpha", symbols), r, store, cache, timeframe="1h", bars=BARS, as_of_ms=later, consensus=SOLO
    )
    assert second.rows_fetched == 3 * len(symbols)  # only the three bars that closed since
    assert second.rows_cached == (BARS - 3) * len(symbols)
    assert r.breakers["alpha"].stats().calls == len(symbols)  # one page per symbol
    for symbol in symbols:
        stamps = store.read("alpha", symbol, "1h")["timestamp"].to_list()
        assert stamps == list(range(stamps[0], later, HOUR))  # contiguous, nothing rewritten or lost
    assert_matches_market(pl.read_parquet(second.ref.path), symbols[0], later)
    again = fetch_batch(batch("alpha", symbols), r, store, cache, timeframe="1h", bars=BARS, as_of_ms=later)
    assert again.cache_hit and again.ref == second.ref
    # a new process (empty memory) resumes from the disk store: still only the new bar is fetched
    fresh = WindowCache(ParquetCandleStore(store.root), keep_bars=400)
    r3 = router({"alpha": venue("alpha", now=later + HOUR)})
    third = fetch_batch(
        batch("alpha", symbols), r3, store, fresh, timeframe="1h", bars=BARS, as_of_ms=later + HOUR, consensus=SOLO
    )
    assert third.rows_fetched == len(symbols) and fresh.counters.disk_reads == len(symbols)


def test_a_partial_page_never_leaves_a_gap(store: ParquetCandleStore, cache: WindowCache) -> None:
    symbol = SYMBOLS[0]
    # the venue serves two pages of 50 bars, then goes down in the middle of the history
    flaky = venue("alpha", [symbol], FaultPlan(outage_after={"fetch_ohlcv": 2}), limit=50)
    r = router({"alpha": flaky})
    partial = fetch_batch(
        batch("alpha", [symbol]), r, store, cache, timeframe="1h", bars=BARS, as_of_ms=NOW, consensus=SOLO
    )
    stored = store.read("alpha", symbol, "1h")["timestamp"].to_list()
    first = NOW - BARS * HOUR
    assert stored == list(range(first, first + 100 * HOUR, HOUR))  # the received prefix, no hole
    assert partial.missing == ()  # the partial window goes on; the quality gate judges staleness
    assert pl.read_parquet(partial.ref.path).height == 100
    later = NOW + HOUR
    healed = router({"alpha": venue("alpha", [symbol], now=later, limit=50)})
    fetch_batch(
        batch("alpha", [symbol]), healed, store, cache, timeframe="1h", bars=BARS, as_of_ms=later, consensus=SOLO
    )
    stored = store.read("alpha", symbol, "1h")["timestamp"].to_list()
    assert stored == list(range(first, later, HOUR))  # resumed right after the last received bar


@pytest.mark.parametrize(
    "faults",
    [
        FaultPlan(empty_ohlcv=1.0),
        FaultPlan(stale_ohlcv=1.0, stale_bars=4),
        FaultPlan(server_error={"fetch_ohlcv": 1.0}),
        FaultPlan(rate_limit={"fetch_ohlcv": 1.0}),
    ],
    ids=["empty-pages", "stale-data", "5xx", "429"],
)
def test_each_fault_kind_falls_back_to_a_healthy_source(
    faults: FaultPlan, store: ParquetCandleStore, cache: WindowCache
) -> None:
    r = router({"alpha": venue("alpha", faults=faults), "beta": venue("beta")})
    result = fetch_batch(
        batch("alpha", SYMBOLS[:4]), r, store, cache, timeframe="1h", bars=BARS, as_of_ms=NOW, consensus=SOLO
    )
    assert result.missing == () and {src for _, _, src in result.fallbacks} == {"beta"}
    frame = pl.read_parquet(result.ref.path)
    for symbol in SYMBOLS[:4]:
        assert_matches_market(frame, symbol, NOW)
    if faults.rate_limit:
        assert r.sleeps and all(s == 1.0 for s in r.sleeps)  # type: ignore[attr-defined]  # the venue's hint


def test_retries_then_raises_the_last_transient_error() -> None:
    r = router({"alpha": venue("alpha", faults=FaultPlan(rate_limit={"fetch_tickers": 1.0}))})
    with pytest.raises(RateLimited):
        r.call("alpha", lambda g: g.fetch_tickers())
    assert r.breakers["alpha"].stats().failures == 2 and len(r.sleeps) == 1  # type: ignore[attr-defined]
    with pytest.raises(TransientVenueError):
        router({"x": venue("x", faults=FaultPlan(timeout={"fetch_tickers": 1.0}))}).call(
            "x", lambda g: g.fetch_tickers()
        )


def test_a_symbol_no_source_lists_is_reported_missing(store: ParquetCandleStore, cache: WindowCache) -> None:
    r = router({"alpha": venue("alpha", SYMBOLS[:2])})
    result = fetch_batch(
        batch("alpha", [SYMBOLS[0], "NOPE/USDT"]), r, store, cache, timeframe="1h", bars=BARS, as_of_ms=NOW
    )
    assert [(v, s) for v, s, _ in result.missing] == [("alpha", "NOPE/USDT")]
    assert result.ref.symbols == (("alpha", SYMBOLS[0]),)
    assert result.ref.content_hash == file_hash(__import__("pathlib").Path(result.ref.path))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(7, 120),
    outage_after=st.integers(0, 6),
    cycles=st.lists(st.integers(1, 40), min_size=1, max_size=4),
)
def test_store_stays_gap_free_under_random_outages_and_page_sizes(
    tmp_path_factory: pytest.TempPathFactory, limit: int, outage_after: int, cycles: list[int]
) -> None:
    store = ParquetCandleStore(tmp_path_factory.mktemp("gapless"), max_parts=3)
    cache = WindowCache(store, keep_bars=400)
    symbol, as_of = SYMBOLS[3], NOW - 50 * HOUR
    for step in cycles:  # each cycle the venue fails after ``outage_after`` pages, then heals for the next one
        as_of += step * HOUR
        flaky = venue("alpha", [symbol], FaultPlan(outage_after={"fetch_ohlcv": outage_after}), now=as_of, limit=limit)
        fetch_batch(batch("alpha", [symbol]), router({"alpha": flaky}), store, cache, timeframe="1h", bars=BARS,
                    as_of_ms=as_of, consensus=SOLO)  # fmt: skip
        stamps = store.read("alpha", symbol, "1h")["timestamp"].to_list()
        if stamps:
            assert stamps == list(range(stamps[0], stamps[-1] + HOUR, HOUR))  # never a hole
            assert stamps[-1] < as_of and stamps[-1] - stamps[0] < (BARS + sum(cycles)) * HOUR
            want = MARKET.candles(symbol, until_ms=as_of)
            got = store.read("alpha", symbol, "1h").to_numpy()[:, 1:]
            assert np.allclose(got, want[np.isin(want[:, 0], stamps)][:, 1:])
