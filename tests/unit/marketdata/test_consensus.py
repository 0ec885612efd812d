"""Candle consensus: a planted bad candle is flagged (two sources) or outvoted and replaced (three)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=40, deadline=None)
@given(
    n_sources=st.integers(3, 5),
    bars=st.integers(1, 30),
    bad=st.lists(st.tuples(st.integers(0, 29), st.floats(1.05, 3.0)), max_size=6),
    noise_bps=st.floats(0.0, 10.0),
)
def test_a_single_bad_source_per_bar_is_always_outvoted(
    n_sources: int, bars: int, bad: list[tuple[int, float]], noise_bps: float
) -> None:
    """With >= 3 sources and at most one corrupted per bar, every kept close is within the threshold of the truth."""
    rng = np.random.default_rng(bars * 100 + n_sources)
    truth = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, bars)))
    windows: dict[str, np.ndarray] = {}
    corrupted = {i: f for i, f in bad if i < bars}
    for k in range(n_sources):
        close = truth * (1 + rng.uniform(-noise_bps, noise_bps, bars) / 1e4)
        if k == 0:  # the primary carries the corruptions
            close = np.array([c * corrupted.get(i, 1.0) for i, c in enumerate(close)])
        ts = np.arange(bars, dtype=np.float64) * HOUR
        windows[f"s{k}"] = np.column_stack([ts, close, close, close, close, np.ones(bars)])
    candles, provenance, finding = reconcile("v", "X/USDT", "s0", windows, ConsensusPolicy(threshold_bps=50))
    assert candles.height == provenance.height == bars
    assert np.all(np.abs(candles["close"].to_numpy() / truth - 1) * 1e4 <= 50 + 2 * noise_bps)
    chosen = dict(zip(provenance["timestamp"].to_list(), provenance["source"].to_list(), strict=True))
    for i in range(bars):
        assert (chosen[i * HOUR] != "s0") == (i in corrupted)
    assert (finding is None) == (not corrupted)
    if finding is not None:
        assert finding.bars_disagreeing == finding.replaced == len(corrupted) and finding.worst_source == "s0"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), 0.0, -3.0])
def test_a_close_without_a_usable_value_at_one_of_two_sources_is_taken_from_the_other(bad: float) -> None:
    window = pl.DataFrame(
        {"timestamp": [0, HOUR, 2 * HOUR], "open": [1.0] * 3, "high": [1.1] * 3, "low": [0.9] * 3,
         "close": [1.0, 1.02, 1.01], "volume": [1.0] * 3}
    )  # fmt: skip
    broken = window.with_columns(pl.Series("close", [1.0, bad, 1.01]))
    for primary in ("a", "b"):  # whichever of the two is the primary
        candles, provenance, finding = reconcile("v", "S/USDT", primary, {"a": broken, "b": window}, ConsensusPolicy())
        assert candles["close"].to_list() == [1.0, 1.02, 1.01]
        assert provenance.filter(pl.col("timestamp") == HOUR)["source"].item() == "b"
        assert finding is not None and finding.bars_disagreeing == 1 and finding.worst_source == "a"
        assert math.isinf(finding.worst_bps) and finding.replaced == (primary == "a")
    alone, _, finding = reconcile("v", "S/USDT", "a", {"a": broken}, ConsensusPolicy())
    assert finding is None and alone["close"].to_list()[1] == pytest.approx(bad, nan_ok=True)  # kept for the gate
