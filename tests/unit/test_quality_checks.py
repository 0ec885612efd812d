"""Stage 3: one planted defect per check class on clean sim candles; verdicts, check names and the score."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import timeframe_ms
from tradepipe.core.marketdata.fetch import candle_frame
from tradepipe.core.quality import CHECK_WEIGHTS, assess_frame, missing_report
from tradepipe.domain.quality import QualityReport, Verdict

TF = "1h"
STEP = timeframe_ms(TF)
BARS = 120
K = BARS - 10  # the row a defect goes into (a recent bar, as the sim plants them)
VENUE = "sim-q"


@pytest.fixture(scope="module")
def market() -> SimMarket:
    return SimMarket(seed=21, history_bars=BARS, future_bars=0)


def clean(market: SimMarket, symbol: str = "BTC/USDT") -> pl.DataFrame:
    return candle_frame(VENUE, symbol, market.clean_candles(symbol).tolist())


def as_of(frame: pl.DataFrame) -> int:
    """The sim time at which the frame's last bar is the newest closed one."""
    return int(frame["timestamp"].max()) + STEP


def assess(frame: pl.DataFrame, *, at: int | None = None, stale_bars: int = 2, min_bars: int = 50) -> QualityReport:
    reports = assess_frame(
        frame, timeframe=TF, as_of_ms=as_of(frame) if at is None else at, stale_bars=stale_bars, min_bars=min_bars
    )
    assert len(reports) == 1
    return reports[0]


def set_cells(frame: pl.DataFrame, row: int, **values: float | None) -> pl.DataFrame:
    idx = pl.int_range(pl.len()) == row
    return frame.with_columns(
        [pl.when(idx).then(pl.lit(v, dtype=frame.schema[c])).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
    )


def checks(report: QualityReport) -> list[str]:
    return [i.check for i in report.issues]


def test_clean_candles_pass_with_full_score(market: SimMarket) -> None:
    report = assess(clean(market))
    assert (report.venue, report.symbol) == (VENUE, "BTC/USDT")
    assert report.verdict is Verdict.PASS
    assert report.score == 1.0
    assert report.issues == ()


Defect = Callable[[pl.DataFrame], pl.DataFrame]

DEFECTS: dict[str, tuple[Defect, str]] = {
    "nan_close": (lambda f: set_cells(f, K, close=float("nan")), "nan_values"),
    "null_volume": (lambda f: set_cells(f, K, volume=None), "nan_values"),
    "zero_close": (lambda f: set_cells(f, K, close=0.0, low=0.0), "non_positive_price"),
    "negative_open": (lambda f: set_cells(f, K, open=-1.0, low=-1.0), "non_positive_price"),
    "high_below_low": (
        lambda f: set_cells(f, K, high=f["low"][K], low=f["high"][K]),
        "ohlc_inconsistent",
    ),
    "close_above_high": (lambda f: set_cells(f, K, close=f["high"][K] * 1.01), "ohlc_inconsistent"),
    "open_below_low": (lambda f: set_cells(f, K, open=f["low"][K] * 0.99), "ohlc_inconsistent"),
    "negative_volume": (lambda f: set_cells(f, K, volume=-5.0), "negative_volume"),
    "missing_bar": (lambda f: f.filter(pl.int_range(pl.len()) != K), "gap"),
}


@pytest.mark.parametrize("kind", sorted(DEFECTS))
def test_each_planted_defect_quarantines_with_its_check(market: SimMarket, kind: str) -> None:
    plant, check = DEFECTS[kind]
    frame = clean(market)
    report = assess(plant(frame))
    assert report.verdict is Verdict.QUARANTINE
    assert checks(report) == [check]
    assert report.score == 0.0
    assert report.issues[0].detail.startswith("1 ")  # one bad bar, counted


def test_duplicate_timestamp_is_flagged(market: SimMarket) -> None:
    frame = clean(market)
    duplicated = pl.concat([frame.slice(0, K + 1), frame.slice(K, 1), frame.slice(K + 1)])
    assert duplicated.height == frame.height + 1
    report = assess(duplicated)
    assert report.verdict is Verdict.QUARANTINE
    assert checks(report) == ["duplicate_or_unordered"]


def test_unordered_timestamps_are_flagged(market: SimMarket) -> None:
    frame = clean(market)
    swapped = pl.concat([frame.slice(0, K), frame.slice(K + 1, 1), frame.slice(K, 1), frame.slice(K + 2)])
    report = assess(swapped)
    assert report.verdict is Verdict.QUARANTINE
    assert "duplicate_or_unordered" in checks(report)


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_last_candle_within_stale_limit_passes(market: SimMarket, lag: int) -> None:
    frame = clean(market)
    report = assess(frame, at=as_of(frame) + lag * STEP, stale_bars=2)
    assert report.verdict is Verdict.PASS


@pytest.mark.parametrize("lag", [3, 10])
def test_stale_last_candle_quarantines(market: SimMarket, lag: int) -> None:
    frame = clean(market)
    report = assess(frame, at=as_of(frame) + lag * STEP, stale_bars=2)
    assert report.verdict is Verdict.QUARANTINE
    assert checks(report) == ["stale"]
    assert report.issues[0].detail == f"last candle is {lag} bars old (limit 2)"


def test_short_history_warns_with_reduced_score(market: SimMarket) -> None:
    frame = clean(market)
    report = assess(frame, min_bars=BARS + 1)
    assert report.verdict is Verdict.WARN
    assert checks(report) == ["short_history"]
    assert report.score == pytest.approx(1.0 - CHECK_WEIGHTS["short_history"], abs=1e-12)
    assert report.score == pytest.approx(0.7, abs=1e-12)
    assert assess(frame, min_bars=BARS).verdict is Verdict.PASS  # exactly enough bars


def test_score_is_one_minus_weights_floored_at_zero(market: SimMarket) -> None:
    frame = set_cells(clean(market), K, volume=-1.0)
    report = assess(frame, min_bars=BARS + 1)  # negative volume (1.0) + short history (0.3)
    assert sorted(checks(report)) == ["negative_volume", "short_history"]
    assert 1.0 - sum(CHECK_WEIGHTS[c] for c in checks(report)) < 0
    assert report.score == 0.0
    assert report.verdict is Verdict.QUARANTINE


def test_several_defects_are_all_reported(market: SimMarket) -> None:
    frame = set_cells(clean(market), K, close=float("nan"), volume=-1.0)
    frame = frame.filter(pl.int_range(pl.len()) != 20)
    report = assess(frame)
    assert sorted(checks(report)) == ["gap", "nan_values", "negative_volume"]
    assert report.score == max(0.0, 1.0 - sum(CHECK_WEIGHTS[c] for c in checks(report)))


def test_missing_report_quarantines_with_zero_score() -> None:
    report = missing_report("v", "X/USDT", "venue returned no candles")
    assert report.verdict is Verdict.QUARANTINE
    assert report.score == 0.0
    assert [(i.check, i.detail) for i in report.issues] == [("missing_data", "venue returned no candles")]


def test_symbols_are_assessed_independently(market: SimMarket) -> None:
    good = clean(market, "ETH/USDT")
    bad = set_cells(clean(market, "BTC/USDT"), K, high=0.5 * market.clean_candles("BTC/USDT")[K, 3])
    reports = assess_frame(pl.concat([good, bad]), timeframe=TF, as_of_ms=as_of(good), stale_bars=2, min_bars=50)
    by_symbol = {r.symbol: r for r in reports}
    assert set(by_symbol) == {"BTC/USDT", "ETH/USDT"}
    assert by_symbol["ETH/USDT"].verdict is Verdict.PASS
    assert by_symbol["BTC/USDT"].verdict is Verdict.QUARANTINE
    assert checks(by_symbol["BTC/USDT"]) == ["ohlc_inconsistent"]


def test_clean_sim_corpus_has_no_quarantine(market: SimMarket) -> None:
    symbols = market.symbols()
    assert len(symbols) >= 50
    frame = pl.concat([clean(market, s) for s in symbols])
    reports = assess_frame(frame, timeframe=TF, as_of_ms=as_of(frame), stale_bars=2, min_bars=100)
    assert len(reports) == len(symbols)
    assert [r for r in reports if r.verdict is not Verdict.PASS] == []


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
    reports = {r.symbol: r for r in assess_frame(frame, timeframe=TF, as_of_ms=now, stale_bars=2, min_bars=100)}
    for symbol, report in reports.items():
        if symbol in planted:
            assert report.verdict is Verdict.QUARANTINE, symbol
            assert checks(report) == [PLANTED_CHECK[planted[symbol].kind]], symbol
        else:
            assert report.verdict is Verdict.PASS, (symbol, report.issues)


def test_clean_candles_really_are_clean(market: SimMarket) -> None:
    """Guard for the fixtures above: the sim's clean candles are OHLC-consistent and positive."""
    bars = market.clean_candles("BTC/USDT")
    assert np.all(bars[:, 2] >= np.maximum(bars[:, 1], bars[:, 4]))
    assert np.all(bars[:, 3] <= np.minimum(bars[:, 1], bars[:, 4]))
    assert np.all(bars[:, 1:] > 0)


@pytest.mark.parametrize("column", ["high", "volume"])
def test_infinite_values_quarantine_as_nan_values(market: SimMarket, column: str) -> None:
    report = assess(set_cells(clean(market), 100, **{column: float("inf")}))
    assert report.verdict is Verdict.QUARANTINE
    assert "nan_values" in checks(report)
