"""SimMarket: deterministic, consistent candles; no look-ahead; planted defects where documented."""

from __future__ import annotations

import numpy as np
import pytest

from tradepipe.adapters.venues.sim_market import (
    CLOSE,
    DEFECT_KINDS,
    DEFECT_LAG_BARS,
    HIGH,
    LOW,
    MAJORS,
    OPEN,
    TS,
    VOLUME,
    Regime,
    SimMarket,
    stable_seed,
)

HOUR = 3_600_000


@pytest.fixture(scope="module")
def market() -> SimMarket:
    return SimMarket(seed=7, history_bars=1500, future_bars=500, bad_data_every=25)


def test_same_seed_gives_identical_candles_whatever_the_access_order() -> None:
    a = SimMarket(seed=11, history_bars=400, future_bars=100)
    b = SimMarket(seed=11, history_bars=400, future_bars=100)
    symbols = a.symbols()
    for s in reversed(symbols[:5]):  # b generates in the opposite order to a
        b.candles(s)
    assert a.symbols() == b.symbols()
    for s in symbols[:5]:
        assert np.array_equal(a.candles(s), b.candles(s))
        assert np.array_equal(a.regimes(s), b.regimes(s))
        assert a.profile(s) == b.profile(s)


def test_paths_are_pinned_across_processes_and_machines() -> None:
    """The seed is a SHA-256 of (seed, symbol), never Python's salted ``hash``: values are fixed."""
    assert stable_seed(42, "BTC/USDT", "path") == stable_seed(42, "BTC/USDT", "path")
    m = SimMarket(seed=42, history_bars=100, future_bars=0)
    btc = m.clean_candles("BTC/USDT")
    # Golden values: if these move, every stored sim dataset and backtest changes.
    assert m.profile("BTC/USDT").start_price == pytest.approx(GOLDEN_BTC_START, rel=1e-12)
    assert btc[-1, CLOSE] == pytest.approx(GOLDEN_BTC_CLOSE_99, rel=1e-9)


GOLDEN_BTC_START = 52696.43829684683
GOLDEN_BTC_CLOSE_99 = 50081.53223882575


def test_different_seeds_differ() -> None:
    a = SimMarket(seed=1, history_bars=200, future_bars=0)
    b = SimMarket(seed=2, history_bars=200, future_bars=0)
    assert a.symbols() == b.symbols()  # the listing is the same, the prices are not
    for s in a.symbols()[:10]:
        assert not np.allclose(a.candles(s)[:, CLOSE], b.candles(s)[:, CLOSE])


def test_about_eighty_usdt_symbols_spread_over_prices_and_volumes(market: SimMarket) -> None:
    symbols = market.symbols()
    assert len(symbols) == 80 == len(set(symbols))
    assert symbols == sorted(symbols)
    assert all(s.endswith("/USDT") for s in symbols)
    majors = {m[0] for m in MAJORS}
    synthetic = [s.split("/")[0] for s in symbols if s.split("/")[0] not in majors]
    assert len(synthetic) == 80 - len(MAJORS)
    assert all(3 <= len(b) <= 4 and b.isalpha() and b.isupper() for b in synthetic)
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT"} <= set(symbols)
    prices = [market.profile(s).start_price for s in symbols]
    volumes = [market.profile(s).daily_quote_volume for s in symbols]
    assert 0.01 <= min(prices) < 1 and 10_000 < max(prices) <= 60_000
    assert max(volumes) / min(volumes) > 100


def test_every_bar_of_every_clean_symbol_is_consistent(market: SimMarket) -> None:
    defective = set(market.planted_defects())
    for s in market.symbols():
        if s in defective:
            continue
        bars = market.candles(s)
        o, h, lo, c, v = (bars[:, k] for k in (OPEN, HIGH, LOW, CLOSE, VOLUME))
        assert len(bars) == market.total_bars
        assert np.isfinite(bars).all()
        assert (lo > 0).all() and (v > 0).all()
        assert (lo <= np.minimum(o, c)).all() and (h >= np.maximum(o, c)).all()
        assert (o[1:] == c[:-1]).all()  # open = previous close
        assert (np.diff(bars[:, TS]) == HOUR).all() and bars[0, TS] == market.start_ms


def test_volume_rises_with_absolute_return(market: SimMarket) -> None:
    bars = market.clean_candles("ETH/USDT")
    abs_ret = np.abs(np.log(bars[:, CLOSE] / bars[:, OPEN]))
    quote_volume = bars[:, VOLUME] * bars[:, CLOSE]
    assert np.corrcoef(abs_ret, quote_volume)[0, 1] > 0.3


def test_only_closed_bars_are_visible(market: SimMarket) -> None:
    now = market.history_end_ms + HOUR // 2  # half way through the first future bar
    bars = market.candles("BTC/USDT", until_ms=now)
    assert len(bars) == market.history_bars
    assert (bars[:, TS] + HOUR <= now).all()
    assert bars[-1, TS] + HOUR == market.history_end_ms
    assert market.bar_index_at(now) == market.history_bars - 1
    assert market.price_at("BTC/USDT", now) == bars[-1, CLOSE]
    assert market.bar_index_at(market.start_ms + HOUR - 1) == -1
    with pytest.raises(ValueError):
        market.price_at("BTC/USDT", market.start_ms)
    day = market.candles("BTC/USDT", until_ms=now, timeframe="1d")
    assert (day[:, TS] + 86_400_000 <= now).all()


def test_aggregated_bars_match_their_hourly_bars(market: SimMarket) -> None:
    hourly = market.clean_candles("SOL/USDT")
    four = market.clean_candles("SOL/USDT", timeframe="4h")
    assert four[1, TS] == hourly[4, TS]
    chunk = hourly[4:8]
    assert four[1, OPEN] == chunk[0, OPEN] and four[1, CLOSE] == chunk[-1, CLOSE]
    assert four[1, HIGH] == chunk[:, HIGH].max() and four[1, LOW] == chunk[:, LOW].min()
    assert four[1, VOLUME] == pytest.approx(chunk[:, VOLUME].sum())


def test_planted_defects_sit_exactly_where_documented(market: SimMarket) -> None:
    defects = market.planted_defects()
    symbols = market.symbols()
    assert list(defects) == [symbols[i] for i in (0, 25, 50, 75)]
    assert [d.kind for d in defects.values()] == list(DEFECT_KINDS)
    k = market.history_bars - DEFECT_LAG_BARS
    for s, d in defects.items():
        assert d.bar_index == k and d.ts_ms == market.start_ms + k * HOUR
        bad, clean = market.candles(s), market.clean_candles(s)
        if d.kind == "missing_bar":
            assert len(bad) == len(clean) - 1 and d.ts_ms not in bad[:, TS]
            assert np.array_equal(bad, np.delete(clean, k, axis=0))
            continue
        assert np.array_equal(np.delete(bad, k, axis=0), np.delete(clean, k, axis=0))
        row = bad[k]
        if d.kind == "nan_close":
            assert np.isnan(row[CLOSE])
        elif d.kind == "nonpositive_price":
            assert row[CLOSE] <= 0 and row[LOW] <= 0
        else:
            assert row[HIGH] < row[LOW]
    for s in symbols:
        if s not in defects:
            assert np.array_equal(market.candles(s), market.clean_candles(s))


def test_defects_follow_the_instant_they_are_planted_before() -> None:
    before = 1_767_225_600_000 + 600 * HOUR
    m = SimMarket(seed=7, history_bars=1500, future_bars=0, bad_data_every=40, defects_before_ms=before)
    assert {d.bar_index for d in m.planted_defects().values()} == {600 - DEFECT_LAG_BARS}
    visible = m.candles("AAVE/USDT", until_ms=before)
    assert np.isnan(visible[-DEFECT_LAG_BARS, CLOSE]) and np.isfinite(visible[-DEFECT_LAG_BARS + 1 :, CLOSE]).all()
    assert SimMarket(seed=7, history_bars=100, future_bars=0).planted_defects() == {}


def test_regimes_differ_in_realised_volatility_and_drift(market: SimMarket) -> None:
    vol: dict[Regime, list[float]] = {r: [] for r in Regime}
    drift: dict[Regime, list[float]] = {r: [] for r in Regime}
    for s in market.symbols()[:40]:
        bars = market.clean_candles(s)
        sigma = market.profile(s).annual_vol / np.sqrt(24 * 365)
        z = np.log(bars[:, CLOSE] / bars[:, OPEN]) / sigma
        regimes = market.regimes(s)
        for r in Regime:
            if (regimes == r).sum() > 50:
                vol[r].append(float(z[regimes == r].std()))
                drift[r].append(float(z[regimes == r].mean()))
    assert all(len(v) > 5 for v in vol.values())  # every regime occurs
    mean_vol = {r: np.mean(v) for r, v in vol.items()}
    assert mean_vol[Regime.VOLATILE] > 1.8 * mean_vol[Regime.RANGING]
    assert mean_vol[Regime.VOLATILE] > mean_vol[Regime.TREND_UP] > mean_vol[Regime.RANGING]
    assert np.mean(drift[Regime.TREND_UP]) > 0 > np.mean(drift[Regime.TREND_DOWN])
