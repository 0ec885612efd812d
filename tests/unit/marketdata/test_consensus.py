"""Candle consensus: a planted bad candle is flagged (two sources) or outvoted and replaced (three)."""

from __future__ import annotations

import math

import polars as pl

from tests.unit.marketdata.conftest import HOUR, NOW, SYMBOLS, batch, router, venue
from tradepipe.adapters.storage.candles import ParquetCandleStore
from tradepipe.adapters.venues.sim_exchange import FaultPlan
from tradepipe.core.marketdata import ConsensusPolicy, WindowCache, fetch_batch, reconcile

BAD_BAR = NOW - 10 * HOUR
SYMBOL = SYMBOLS[1]


def test_two_sources_flag_a_planted_bad_candle_without_guessing_who_is_right(
    store: ParquetCandleStore, cache: WindowCache
) -> None:
    sources = {"alpha": venue("alpha"), "beta": venue("beta", faults=FaultPlan(corrupt_ohlcv_at=(BAD_BAR,)))}
    result = fetch_batch(
        batch("alpha", [SYMBOL, SYMBOLS[2]]), router(sources), store, cache,
        timeframe="1h", bars=200, as_of_ms=NOW, consensus=ConsensusPolicy(threshold_bps=50, max_sources=2),
    )  # fmt: skip
    assert result.consensus_disagreement == {("alpha", SYMBOL): 1, ("alpha", SYMBOLS[2]): 1}
    finding = next(f for f in result.consensus if f.symbol == SYMBOL)
    assert finding.worst_timestamp == BAD_BAR and finding.bars_compared == 200 and finding.replaced == 0
    assert finding.worst_bps > 50 and finding.sources == ("alpha", "beta")
    provenance = store.provenance(result.ref)
    assert provenance is not None
    bad = provenance.filter((pl.col("symbol") == SYMBOL) & (pl.col("timestamp") == BAD_BAR)).row(0, named=True)
    assert bad["source"] == "alpha" and bad["sources"] == 2 and bad["agreeing"] == 0
    assert "alpha:" in bad["disagreeing"] and "beta:" in bad["disagreeing"]
    good = provenance.filter((pl.col("symbol") == SYMBOL) & (pl.col("timestamp") != BAD_BAR))
    assert (good["agreeing"] == 2).all() and (good["disagreeing"] == "").all()


def test_three_sources_outvote_the_bad_candle_and_record_where_the_bar_came_from(
    store: ParquetCandleStore, cache: WindowCache
) -> None:
    sources = {
        "alpha": venue("alpha", faults=FaultPlan(corrupt_ohlcv_at=(BAD_BAR,), corrupt_factor=1.3)),
        "beta": venue("beta"),
        "gamma": venue("gamma"),
    }
    result = fetch_batch(
        batch("alpha", [SYMBOL]), router(sources), store, cache,
        timeframe="1h", bars=100, as_of_ms=NOW, consensus=ConsensusPolicy(threshold_bps=50, max_sources=3),
    )  # fmt: skip
    (finding,) = result.consensus
    assert (finding.bars_disagreeing, finding.replaced, finding.worst_source) == (1, 1, "alpha")
    assert math.isclose(finding.worst_bps, 3000.0, rel_tol=1e-6)
    frame = pl.read_parquet(result.ref.path).sort("timestamp")
    clean = venue("clean").fetch_ohlcv(SYMBOL, "1h", since=BAD_BAR, limit=1)[0]
    assert frame.filter(pl.col("timestamp") == BAD_BAR)["close"].item() == clean[4]  # repaired
    prov = store.provenance(result.ref)
    assert prov is not None
    row = prov.filter(pl.col("timestamp") == BAD_BAR).row(0, named=True)
    assert row["source"] in {"beta", "gamma"} and row["agreeing"] == 2 and row["disagreeing"].startswith("alpha:3000")
    assert set(prov.filter(pl.col("timestamp") != BAD_BAR)["source"]) == {"alpha"}  # the primary otherwise


def test_sources_that_all_lack_a_close_agree_and_leave_it_to_the_gate() -> None:
    window = pl.DataFrame(
        {"timestamp": [0, HOUR], "open": [1.0, 1.0], "high": [1.0, 1.0], "low": [1.0, 1.0],
         "close": [1.0, float("nan")], "volume": [1.0, 1.0]}
    )  # fmt: skip
    candles, provenance, finding = reconcile("v", "S/USDT", "a", {"a": window, "b": window}, ConsensusPolicy())
    assert finding is None and math.isnan(candles["close"][1]) and provenance["agreeing"].to_list() == [2, 2]
    repaired = window.with_columns(pl.Series("close", [1.0, 1.0]))
    candles, _, finding = reconcile("v", "S/USDT", "a", {"a": window, "b": repaired}, ConsensusPolicy())
    assert candles["close"].to_list() == [1.0, 1.0]  # the source with a close wins over one without
    assert finding is not None and finding.replaced == 1 and math.isinf(finding.worst_bps)
