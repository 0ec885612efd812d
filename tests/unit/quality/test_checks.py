"""The polars tier: one planted defect per check class on clean sim candles; verdicts, check names, details."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.unit.quality.corpus import (
    BARS,
    DEFECTS,
    RULES,
    STEP,
    TF,
    VENUE,
    K,
    as_of,
    clean_frame,
    defect_corpus,
    defect_market,
    set_cells,
)
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.core.marketdata.fetch import candle_frame
from tradepipe.core.quality import CHECK_WEIGHTS, QualityRules, assess_frame, schema_problem
from tradepipe.domain.quality import QualityReport, Verdict


@pytest.fixture(scope="module")
def market() -> SimMarket:
    return defect_market()


def assess(frame: pl.DataFrame, *, at: int | None = None, rules: QualityRules = RULES, **kw: object) -> QualityReport:
    reports = assess_frame(frame, timeframe=TF, as_of_ms=as_of(frame) if at is None else at, rules=rules, **kw)
    assert len(reports) == 1
    return reports[0]


def checks(report: QualityReport) -> list[str]:
    return [i.check for i in report.issues]


def test_clean_candles_pass_with_full_score(market: SimMarket) -> None:
    report = assess(clean_frame(market, "BTC/USDT"))
    assert (report.venue, report.symbol) == (VENUE, "BTC/USDT")
    assert report.verdict is Verdict.PASS
    assert report.score == 1.0
    assert report.issues == ()


@pytest.mark.parametrize("kind", sorted(DEFECTS))
def test_each_planted_defect_is_named_by_its_check(market: SimMarket, kind: str) -> None:
    defect = DEFECTS[kind]
    clean = clean_frame(market, "ETH/USDT")
    report = assess(defect.plant(clean), at=as_of(clean))
    assert checks(report) == [defect.check]
    assert report.verdict is defect.verdict
    assert report.score == pytest.approx(max(0.0, 1.0 - CHECK_WEIGHTS[defect.check]))


def test_the_whole_defect_corpus_in_one_batch_is_caught_symbol_by_symbol(market: SimMarket) -> None:
    frame, planted, at = defect_corpus(market)
    reports = {r.symbol: r for r in assess_frame(frame, timeframe=TF, as_of_ms=at, rules=RULES)}
    assert set(reports) == set(planted)
    for symbol, kind in planted.items():
        assert reports[symbol].verdict in (Verdict.QUARANTINE, Verdict.WARN), kind
        assert checks(reports[symbol]) == [DEFECTS[kind].check], kind


def test_row_defects_count_the_bad_bars(market: SimMarket) -> None:
    report = assess(set_cells(clean_frame(market, "BTC/USDT"), K, close=float("nan"), volume=-1.0))
    assert {i.check: i.detail for i in report.issues} == {
        "nan_values": "1 bars with NaN, null or infinite values",
        "negative_volume": "1 bars with negative volume",
    }


def test_consensus_finding_from_fetch_warns(market: SimMarket) -> None:
    frame = clean_frame(market, "BTC/USDT")
    finding = "sim-beta close differs by 240 bps from the median of 3 sources in 2 bars"
    report = assess(frame, consensus={(VENUE, "BTC/USDT"): finding, (VENUE, "OTHER/USDT"): "not in this batch"})
    assert report.verdict is Verdict.WARN
    assert [(i.check, i.detail) for i in report.issues] == [("consensus_disagreement", finding)]
    assert report.score == pytest.approx(0.7)


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_last_candle_within_stale_limit_passes(market: SimMarket, lag: int) -> None:
    frame = clean_frame(market, "BTC/USDT")
    assert assess(frame, at=as_of(frame) + lag * STEP).verdict is Verdict.PASS


@pytest.mark.parametrize("lag", [3, 10])
def test_stale_last_candle_quarantines_with_its_age(market: SimMarket, lag: int) -> None:
    frame = clean_frame(market, "BTC/USDT")
    report = assess(frame, at=as_of(frame) + lag * STEP)
    assert report.verdict is Verdict.QUARANTINE
    assert [(i.check, i.detail) for i in report.issues] == [("stale", f"last candle is {lag} bars old (limit 2)")]


def test_short_history_boundary(market: SimMarket) -> None:
    frame = clean_frame(market, "BTC/USDT")
    assert assess(frame, rules=QualityRules(min_bars=BARS)).verdict is Verdict.PASS  # exactly enough bars
    report = assess(frame, rules=QualityRules(min_bars=BARS + 1))
    assert report.verdict is Verdict.WARN and report.score == pytest.approx(0.7)
    assert report.issues[0].detail == f"{BARS} bars < {BARS + 1} wanted"


def test_spike_threshold_and_detail(market: SimMarket) -> None:
    frame = DEFECTS["spike"].plant(clean_frame(market, "BTC/USDT"))
    report = assess(frame)
    assert report.issues[0].detail.startswith("2 returns with robust z > 25")  # up into the spike and back down
    assert assess(frame, rules=QualityRules(min_bars=78, spike_z=1e6)).verdict is Verdict.PASS


def test_zero_volume_run_needs_the_configured_length(market: SimMarket) -> None:
    frame = DEFECTS["zero_volume_run"].plant(clean_frame(market, "BTC/USDT"))  # 5 zero bars
    assert assess(frame).issues[0].detail == "5 consecutive bars with zero volume"
    assert assess(frame, rules=QualityRules(min_bars=78, zero_volume_bars=6)).verdict is Verdict.PASS
    isolated = set_cells(set_cells(clean_frame(market, "BTC/USDT"), 10, volume=0.0), 20, volume=0.0)
    assert assess(isolated).verdict is Verdict.PASS  # single zero bars are normal on thin markets


def test_soft_findings_add_up_to_quarantine(market: SimMarket) -> None:
    frame = DEFECTS["zero_volume_run"].plant(DEFECTS["spike"].plant(clean_frame(market, "BTC/USDT")))
    report = assess(frame)
    assert sorted(checks(report)) == ["spike", "zero_volume_run"]
    assert report.score == pytest.approx(1.0 - 0.4 - 0.3)
    assert report.verdict is Verdict.QUARANTINE  # 0.3 < warn_score 0.5


def test_symbols_are_assessed_independently(market: SimMarket) -> None:
    good = clean_frame(market, "ETH/USDT")
    bad = DEFECTS["high_below_low"].plant(clean_frame(market, "BTC/USDT"))
    reports = {
        r.symbol: r for r in assess_frame(pl.concat([good, bad]), timeframe=TF, as_of_ms=as_of(good), rules=RULES)
    }
    assert reports["ETH/USDT"].verdict is Verdict.PASS
    assert checks(reports["BTC/USDT"]) == ["ohlc_inconsistent"]


@pytest.mark.parametrize("seed", [7, 21])
def test_clean_corpus_of_240_sim_symbols_has_no_finding(seed: int) -> None:
    market = SimMarket(seed=seed, history_bars=1000, future_bars=0, n_symbols=240)
    symbols = market.symbols()
    assert len(symbols) >= 200
    frame = pl.concat([clean_frame(market, s) for s in symbols])
    for window in (300, 1000):  # the default history and the bench's
        recent = frame.group_by("venue", "symbol", maintain_order=True).tail(window)
        reports = assess_frame(recent, timeframe=TF, as_of_ms=as_of(frame), rules=RULES)
        assert len(reports) == len(symbols)
        assert [r for r in reports if r.verdict is Verdict.QUARANTINE] == []
        assert [(r.symbol, r.issues) for r in reports if r.issues] == []


PLANTED_CHECK = {
    "nan_close": "nan_values",
    "nonpositive_price": "non_positive_price",
    "high_below_low": "ohlc_inconsistent",
    "missing_bar": "gap",
}


def test_the_sims_planted_defects_are_caught_and_nothing_else() -> None:
    market = SimMarket(seed=21, history_bars=BARS, future_bars=0, bad_data_every=8)
    now = market.history_end_ms
    planted = market.planted_defects()
    assert {d.kind for d in planted.values()} == set(PLANTED_CHECK)
    frame = pl.concat([candle_frame(VENUE, s, market.candles(s, until_ms=now).tolist()) for s in market.symbols()])
    reports = {r.symbol: r for r in assess_frame(frame, timeframe=TF, as_of_ms=now, rules=RULES)}
    for symbol, report in reports.items():
        if symbol in planted:
            assert report.verdict is Verdict.QUARANTINE, symbol
            assert checks(report) == [PLANTED_CHECK[planted[symbol].kind]], symbol
        else:
            assert report.verdict is Verdict.PASS, (symbol, report.issues)


def test_clean_candles_really_are_clean(market: SimMarket) -> None:
    """Guard for the fixtures above: the sim's clean candles are OHLC-consistent, positive, with volume."""
    bars = market.clean_candles("BTC/USDT")
    assert np.all(bars[:, 2] >= np.maximum(bars[:, 1], bars[:, 4]))
    assert np.all(bars[:, 3] <= np.minimum(bars[:, 1], bars[:, 4]))
    assert np.all(bars[:, 1:] > 0)


def test_schema_problem_names_the_column(market: SimMarket) -> None:
    frame = clean_frame(market, "BTC/USDT")
    assert schema_problem(frame) is None
    assert schema_problem(frame.drop("volume")) == (
        "column 'volume' is missing (columns: ['venue', 'symbol', 'timestamp', 'open', 'high', 'low', 'close'])"
    )
    assert schema_problem(frame.with_columns(pl.col("close").cast(pl.String))) == (
        "column 'close' has type String, expected Float64"
    )
    no_time = set_cells(frame, 3, timestamp=None)
    assert schema_problem(no_time) == "column 'timestamp' has 1 null values"


def test_zero_volume_run_at_the_very_first_rows_and_interleaved_symbols(market: SimMarket) -> None:
    """Group boundaries: a run at the start of the frame counts; rows of two symbols may come interleaved."""
    idx = pl.int_range(pl.len())
    first = clean_frame(market, "BTC/USDT").with_columns(volume=pl.when(idx < 4).then(0.0).otherwise(pl.col("volume")))
    assert assess(first).issues[0].detail == "4 consecutive bars with zero volume"
    other = clean_frame(market, "ETH/USDT")
    mixed = pl.concat([first, other]).sort("timestamp", "symbol")  # BTC, ETH, BTC, ETH ...
    swapped = _swap_rows(mixed, 2 * K, 2 * K + 2)  # two BTC bars out of order
    reports = {r.symbol: r for r in assess_frame(swapped, timeframe=TF, as_of_ms=as_of(mixed), rules=RULES)}
    assert checks(reports["ETH/USDT"]) == []
    assert sorted(checks(reports["BTC/USDT"])) == ["duplicate_or_unordered", "zero_volume_run"]


def _swap_rows(frame: pl.DataFrame, i: int, j: int) -> pl.DataFrame:
    order = list(range(frame.height))
    order[i], order[j] = order[j], order[i]
    return frame[order]
