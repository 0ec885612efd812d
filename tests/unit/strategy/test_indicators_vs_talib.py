"""Every indicator against TA-Lib (the reference; never imported by the library) on sim data and edge cases.

"Match" means: NaN exactly where TA-Lib has NaN, and within 1e-9 relative (of the series' price scale for
price-like outputs, of 1 for oscillators) wherever it has a value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import talib  # a dev dependency (uv.lock): its absence is a failure, not a skip
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.core.strategy import indicator_set, indicators

TOL = 1e-9


@dataclass(frozen=True)
class Data:
    o: np.ndarray
    h: np.ndarray
    l: np.ndarray  # noqa: E741
    c: np.ndarray
    v: np.ndarray


def log_returns(c: np.ndarray) -> np.ndarray:
    return np.concatenate(([np.nan], np.log(c[1:] / c[:-1])))


def ref_zscore(d: Data, n: int) -> np.ndarray:
    sd = talib.STDDEV(d.c, n, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 0, (d.c - talib.SMA(d.c, n)) / sd, np.where(np.isnan(sd), np.nan, 0.0))


def ref_vwap(d: Data, n: int) -> np.ndarray:
    return talib.SUM(talib.TYPPRICE(d.h, d.l, d.c) * d.v, n) / talib.SUM(d.v, n)


# name -> (ours, TA-Lib reference, scale kind)
Case = tuple[Callable[[Data], np.ndarray], Callable[[Data], np.ndarray], str]
CASES: dict[str, Case] = {
    "sma": (lambda d: indicators.sma(d.c, 20), lambda d: talib.SMA(d.c, 20), "price"),
    "ema12": (lambda d: indicators.ema(d.c, 12), lambda d: talib.EMA(d.c, 12), "price"),
    "ema26": (lambda d: indicators.ema(d.c, 26), lambda d: talib.EMA(d.c, 26), "price"),
    "rsi": (lambda d: indicators.rsi(d.c, 14), lambda d: talib.RSI(d.c, 14), "osc"),
    "trange": (lambda d: indicators.true_range(d.h, d.l, d.c), lambda d: talib.TRANGE(d.h, d.l, d.c), "price"),
    "atr": (lambda d: indicators.atr(d.h, d.l, d.c, 14), lambda d: talib.ATR(d.h, d.l, d.c, 14), "price"),
    "bb_upper": (lambda d: indicators.bbands(d.c, 20)[0], lambda d: talib.BBANDS(d.c, 20, 2, 2)[0], "price"),
    "bb_middle": (lambda d: indicators.bbands(d.c, 20)[1], lambda d: talib.BBANDS(d.c, 20, 2, 2)[1], "price"),
    "bb_lower": (lambda d: indicators.bbands(d.c, 20)[2], lambda d: talib.BBANDS(d.c, 20, 2, 2)[2], "price"),
    "macd": (lambda d: indicators.macd(d.c)[0], lambda d: talib.MACD(d.c)[0], "price"),
    "macd_signal": (lambda d: indicators.macd(d.c)[1], lambda d: talib.MACD(d.c)[1], "price"),
    "macd_hist": (lambda d: indicators.macd(d.c)[2], lambda d: talib.MACD(d.c)[2], "price"),
    "adx": (lambda d: indicators.adx(d.h, d.l, d.c, 14)[0], lambda d: talib.ADX(d.h, d.l, d.c, 14), "osc"),
    "plus_di": (lambda d: indicators.adx(d.h, d.l, d.c, 14)[1], lambda d: talib.PLUS_DI(d.h, d.l, d.c, 14), "osc"),
    "minus_di": (lambda d: indicators.adx(d.h, d.l, d.c, 14)[2], lambda d: talib.MINUS_DI(d.h, d.l, d.c, 14), "osc"),
    "stoch_k": (lambda d: indicators.stoch(d.h, d.l, d.c)[0], lambda d: talib.STOCH(d.h, d.l, d.c)[0], "osc"),
    "stoch_d": (lambda d: indicators.stoch(d.h, d.l, d.c)[1], lambda d: talib.STOCH(d.h, d.l, d.c)[1], "osc"),
    "stoch_10_5_4": (
        lambda d: indicators.stoch(d.h, d.l, d.c, 10, 5, 4)[1],
        lambda d: talib.STOCH(d.h, d.l, d.c, 10, 5, 0, 4, 0)[1],
        "osc",
    ),
    "obv": (lambda d: indicators.obv(d.c, d.v), lambda d: talib.OBV(d.c, d.v), "volume"),
    "donchian_upper": (lambda d: indicators.donchian(d.h, d.l, 20)[0], lambda d: talib.MAX(d.h, 20), "price"),
    "donchian_lower": (lambda d: indicators.donchian(d.h, d.l, 20)[1], lambda d: talib.MIN(d.l, 20), "price"),
    "zscore": (lambda d: indicators.zscore(d.c, 20), lambda d: ref_zscore(d, 20), "osc"),
    "volatility": (
        lambda d: indicators.realised_volatility(d.c, 20),
        lambda d: talib.STDDEV(log_returns(d.c), 20, 1.0) * np.sqrt(20 / 19),
        "osc",
    ),
    "vwap": (lambda d: indicators.vwap(d.h, d.l, d.c, d.v, 20), lambda d: ref_vwap(d, 20), "price"),
}


def assert_matches(ours: np.ndarray, ref: np.ndarray, scale: float, label: str) -> None:
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, label
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=f"{label}: NaN positions differ")
    defined = ~np.isnan(ref)
    err = np.abs(ours[defined] - ref[defined]) / np.maximum(np.abs(ref[defined]), scale)
    assert err.size == 0 or err.max() <= TOL, f"{label}: max relative error {err.max():.3g}"


def scale_of(kind: str, d: Data) -> float:
    finite = d.c[np.isfinite(d.c)]
    if kind == "price":
        return float(np.median(finite)) if finite.size else 1.0
    if kind == "volume":
        return float(np.nansum(d.v)) or 1.0
    return 1.0


def data_from(bars: np.ndarray) -> Data:
    return Data(*(np.ascontiguousarray(bars[:, k], dtype=np.float64) for k in range(1, 6)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_talib_on_sim_candles(name: str, sim_ohlcv: list[np.ndarray]) -> None:
    ours, ref, kind = CASES[name]
    for k, bars in enumerate(sim_ohlcv):
        d = data_from(bars)
        assert_matches(ours(d), ref(d), scale_of(kind, d), f"{name} on sim symbol {k}")


@pytest.mark.parametrize("n", [1, 2, 5, 13, 14, 15, 19, 20, 21, 27, 33, 34, 35])
def test_short_series_match_talib(n: int, sim_ohlcv: list[np.ndarray]) -> None:
    d = data_from(sim_ohlcv[0][:n])
    for name, (ours, ref, kind) in CASES.items():
        assert_matches(ours(d), ref(d), scale_of(kind, d), f"{name} on {n} bars")


def test_constant_prices_match_talib() -> None:
    flat = np.full(120, 42.5)
    d = Data(flat, flat, flat, flat, np.full(120, 10.0))
    for name, (ours, ref, kind) in CASES.items():
        if name == "vwap":
            continue  # TA-Lib has no VWAP; checked below
        assert_matches(ours(d), ref(d), scale_of(kind, d), f"{name} on constant prices")
    assert np.nanmax(np.abs(indicators.vwap(flat, flat, flat, d.v, 20) - 42.5)) < 1e-12
    assert set(np.unique(indicators.rsi(flat)[14:])) == {0.0}  # TA-Lib's convention when nothing moved


def test_tiny_memecoin_prices_match_talib(sim_ohlcv: list[np.ndarray]) -> None:
    bars = sim_ohlcv[3].copy()
    bars[:, 1:5] *= 1e-9
    d = data_from(bars)
    for name, (ours, ref, kind) in CASES.items():
        assert_matches(ours(d), ref(d), scale_of(kind, d), f"{name} at 1e-9 prices")


def with_nan(d: Data, rows: slice, columns: str = "ohlcv") -> Data:
    arrays = {k: getattr(d, k).copy() for k in "ohlcv"}
    for k in columns:
        arrays[k][rows] = np.nan
    return Data(**arrays)


def test_leading_nans_are_skipped_like_the_talib_wrapper(sim_ohlcv: list[np.ndarray]) -> None:
    d = with_nan(data_from(sim_ohlcv[1][:400]), slice(0, 37))
    for name, (ours, ref, kind) in CASES.items():
        assert_matches(ours(d), ref(d), scale_of(kind, d), f"{name} after leading NaNs")


@pytest.mark.parametrize("column", ["c", "h", "v"])
def test_a_nan_gap_splits_the_series_into_independent_segments(sim_ohlcv: list[np.ndarray], column: str) -> None:
    """TA-Lib's running sums stay NaN for ever after an interior NaN; we re-seed after the gap instead:
    each side of the gap equals TA-Lib run on that side alone, and the gap bars are NaN."""
    full = data_from(sim_ohlcv[2][:500])
    gapped = with_nan(full, slice(200, 203), column)
    for name, (ours, ref, kind) in CASES.items():
        got = ours(gapped)
        uses_column = not np.array_equal(np.isnan(got), np.isnan(ours(full)))
        if not uses_column:  # this indicator does not read the gapped column: unchanged
            assert_matches(got, ours(full), scale_of(kind, full), f"{name} ignoring a gap in {column}")
            continue
        before = Data(*(getattr(full, k)[:200] for k in "ohlcv"))
        after = Data(*(getattr(full, k)[203:] for k in "ohlcv"))
        assert_matches(got[:200], ref(before), scale_of(kind, before), f"{name} before the gap")
        assert np.isnan(got[200:203]).all(), f"{name}: gap bars must be NaN"
        assert_matches(got[203:], ref(after), scale_of(kind, after), f"{name} after the gap")


def test_indicator_set_equals_the_per_series_functions(sim_ohlcv: list[np.ndarray]) -> None:
    """Many symbols of different lengths (one too short, one with a gap) in one call."""
    bars = [sim_ohlcv[0], sim_ohlcv[1][:30], sim_ohlcv[2][:700].copy(), sim_ohlcv[3][:1]]
    bars[2][300:305, 4] = np.nan
    flat = np.concatenate(bars)
    offsets = np.concatenate(([0], np.cumsum([b.shape[0] for b in bars])))
    spec = indicator_set.IndicatorSpec()
    rows = indicator_set.compute(*(flat[:, k] for k in range(1, 6)), offsets, spec)
    assert rows.shape == (len(indicator_set.ROWS), flat.shape[0])
    for j, b in enumerate(bars):
        d = data_from(b)
        a, z = offsets[j], offsets[j + 1]
        upper, middle, lower = indicators.bbands(d.c, spec.bb_period, spec.bb_dev, spec.bb_dev)
        line, signal, hist = indicators.macd(d.c, spec.macd_fast, spec.macd_slow, spec.macd_signal)
        strength, plus, minus = indicators.adx(d.h, d.l, d.c, spec.adx)
        k, dd = indicators.stoch(d.h, d.l, d.c, spec.stoch_fastk, spec.stoch_slowk, spec.stoch_slowd)
        dc_upper, dc_lower = indicators.donchian(d.h, d.l, spec.donchian)
        expected = {
            "ema_fast": indicators.ema(d.c, spec.ema_fast),
            "ema_slow": indicators.ema(d.c, spec.ema_slow),
            "sma": indicators.sma(d.c, spec.sma),
            "rsi": indicators.rsi(d.c, spec.rsi),
            "atr": indicators.atr(d.h, d.l, d.c, spec.atr),
            "bb_upper": upper,
            "bb_middle": middle,
            "bb_lower": lower,
            "zscore": indicators.zscore(d.c, spec.bb_period),
            "macd": line,
            "macd_signal": signal,
            "macd_hist": hist,
            "adx": strength,
            "plus_di": plus,
            "minus_di": minus,
            "stoch_k": k,
            "stoch_d": dd,
            "obv": indicators.obv(d.c, d.v),
            "vwap": indicators.vwap(d.h, d.l, d.c, d.v, spec.vwap),
            "donchian_upper": dc_upper,
            "donchian_lower": dc_lower,
            "volatility": indicators.realised_volatility(d.c, spec.volatility),
        }
        for name, want in expected.items():
            got = rows[indicator_set.ROW[name], a:z]
            if j == 2:  # the gap is in close only: bars with any NaN input are gaps for the whole set
                want = want.copy()
                want[np.isnan(got) & ~np.isnan(want)] = np.nan
                got = np.where(np.isnan(want), np.nan, got)
            assert_matches(got, want, 1.0 if name in ("rsi", "adx") else float(np.nanmedian(d.c)), f"{name} #{j}")


def test_indicator_set_reuses_a_preallocated_buffer(sim_ohlcv: list[np.ndarray]) -> None:
    bars = sim_ohlcv[4]
    cols = [bars[:, k] for k in range(1, 6)]
    buffer = indicator_set.allocate(bars.shape[0] + 100)
    out = indicator_set.compute(*cols, [0, bars.shape[0]], out=buffer)
    assert np.shares_memory(out, buffer)
    np.testing.assert_array_equal(out, indicator_set.compute(*cols, [0, bars.shape[0]], parallel=True))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: indicators.ema([1.0, 2.0], 0), "period must be an integer >= 1"),
        (lambda: indicators.rsi([1.0, 2.0], 1), "period must be an integer >= 2"),
        (lambda: indicators.atr([1.0], [1.0, 2.0], [1.0]), "input lengths differ"),
        (lambda: indicators.sma(np.ones((2, 2)), 2), "close must be one-dimensional"),
        (lambda: indicators.realised_volatility([1.0, 2.0], 3, ddof=3), "ddof must be in"),
        (lambda: indicator_set.IndicatorSpec(rsi=1), "indicators.rsi must be an integer >= 2"),
        (lambda: indicator_set.compute([1.0], [1.0], [1.0], [1.0], [1.0], [0, 2]), "offsets must rise"),
    ],
)
def test_bad_arguments_name_the_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


HLC = ("trange", "atr", "adx", "plus_di", "minus_di", "stoch_k", "stoch_d", "stoch_10_5_4")
INPUTS = {"obv": "cv", "vwap": "hlcv", "donchian_upper": "hl", "donchian_lower": "hl"} | dict.fromkeys(HLC, "hlc")
"""Which columns each case reads (a NaN in any of them is a gap for it); the rest read close only."""


@st.composite
def gapped_candles(draw: st.DrawFn) -> Data:
    """A random walk of 1-400 bars (price level 1e-6..1e4), with up to 3 random NaN gaps in random columns."""
    n = draw(st.integers(1, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    level = 10 ** draw(st.floats(-6, 4))
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0, draw(st.floats(0.0, 0.05)), n)))
    opens = np.concatenate((close[:1], close[:-1]))
    d = Data(opens, np.maximum(opens, close) * 1.002, np.minimum(opens, close) * 0.998, close, rng.uniform(0, 9, n))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, n - 1))
        getattr(d, draw(st.sampled_from("ohlcv")))[at : at + draw(st.integers(1, 5))] = np.nan
    return d


@settings(max_examples=40, deadline=None)
@given(gapped_candles())
def test_any_gapped_series_equals_talib_on_each_gap_free_segment(d: Data) -> None:
    for name, (ours, ref, kind) in CASES.items():
        got = ours(d)
        mask = ~np.isnan(np.vstack([getattr(d, k) for k in INPUTS.get(name, "c")])).any(axis=0)
        for a, b in indicators.segments(mask):
            part = Data(*(getattr(d, k)[a:b] for k in "ohlcv"))
            assert_matches(got[a:b], ref(part), scale_of(kind, part), f"{name} on segment {a}:{b}")
        assert np.isnan(got[~mask]).all(), f"{name}: gap bars must be NaN"
