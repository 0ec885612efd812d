"""The correlation model against numpy's own corrcoef and a direct portfolio-variance computation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.core.risk.correlation import ReturnPanel, RiskModel, standardise


def model(returns: np.ndarray, exposure: dict[tuple[str, str], float], **kw: object) -> RiskModel:
    keys = [("v", f"S{i}/USDT") for i in range(returns.shape[0])]
    return RiskModel(
        keys,
        ReturnPanel(tuple(keys), returns),
        window=kw.get("window", returns.shape[1]),  # type: ignore[arg-type]
        fallback_vol={},
        default_vol=0.01,
        exposure=exposure,
        equity=10_000.0,
        cluster_threshold=0.7,
    )


def test_standardised_rows_give_numpys_correlations_and_std() -> None:
    rng = np.random.default_rng(1)
    r = rng.normal(0, 0.02, (6, 120))
    z, std, ok = standardise(r, 120)
    assert ok.all()
    np.testing.assert_allclose(z @ z.T, np.corrcoef(r), atol=1e-12)
    np.testing.assert_allclose(std, r.std(axis=1, ddof=1), rtol=1e-12)


def test_window_takes_the_last_bars_and_gaps_are_tolerated() -> None:
    rng = np.random.default_rng(2)
    r = rng.normal(0, 0.02, (3, 300))
    z, _, _ = standardise(r, 50)
    np.testing.assert_allclose(z @ z.T, np.corrcoef(r[:, -50:]), atol=1e-12)
    r[1, -10:] = np.nan
    r[2, :] = np.nan
    z, std, ok = standardise(r, 50)
    assert ok.tolist() == [True, True, False]
    assert np.isfinite(z).all() and std[2] == 0


def test_from_closes_gives_log_returns() -> None:
    panel = ReturnPanel.from_closes([("v", "A/USDT")], np.array([[100.0, 110.0, 99.0, 0.0]]))
    np.testing.assert_allclose(panel.returns[0, :2], [np.log(1.1), np.log(0.9)])
    assert np.isnan(panel.returns[0, 2])


def direct_variance(returns: np.ndarray, exposure: np.ndarray, equity: float) -> float:
    cov = np.cov(returns)
    w = exposure / equity
    return float(w @ cov @ w)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), adds=st.lists(st.tuples(st.integers(0, 5), st.floats(1.0, 3_000.0)), max_size=4))
def test_incremental_adds_match_a_direct_recomputation(seed: int, adds: list[tuple[int, float]]) -> None:
    rng = np.random.default_rng(seed)
    factor = rng.normal(0, 0.01, 80)
    returns = np.vstack([factor * rng.uniform(-1, 1) + rng.normal(0, 0.01, 80) for _ in range(6)])
    exposure = {("v", "S0/USDT"): 2_000.0, ("v", "S1/USDT"): 1_000.0}
    m = model(returns, exposure)
    held = np.array([2_000.0, 1_000.0, 0, 0, 0, 0])
    for index, notional in adds:
        m.add(index, notional)
        held[index] += notional
    assert m.port_var == pytest.approx(direct_variance(returns, held, 10_000.0), rel=1e-9, abs=1e-15)
    corr = np.corrcoef(returns)
    for i in range(6):
        others = [j for j in range(6) if j != i and held[j] > 0]
        if others:
            assert m.max_corr[i] == pytest.approx(max(corr[i, j] for j in others), abs=1e-12)
        cluster = sum(held[j] for j in range(6) if held[j] > 0 and (j == i or corr[i, j] >= 0.7))
        assert m.cluster[i] == pytest.approx(cluster, rel=1e-12, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), cap=st.floats(0.001, 0.02))
def test_vol_room_is_the_largest_entry_that_meets_the_target(seed: int, cap: float) -> None:
    rng = np.random.default_rng(seed)
    returns = rng.normal(0, 0.01, (4, 80)) + rng.normal(0, 0.01, 80)
    m = model(returns, {("v", "S0/USDT"): 1_000.0})
    room = m.vol_room(2, cap)
    if np.sqrt(m.port_var) > cap:
        assert room == 0
        return
    held = np.array([1_000.0, 0, room, 0])
    assert np.sqrt(direct_variance(returns, held, 10_000.0)) == pytest.approx(cap, rel=1e-6)


def test_symbols_without_returns_use_the_fallback_volatility_and_no_correlation() -> None:
    keys = [("v", "A/USDT"), ("v", "B/USDT")]
    m = RiskModel(
        keys,
        ReturnPanel.empty(),
        window=50,
        fallback_vol={("v", "B/USDT"): 0.03},
        default_vol=0.01,
        exposure={("v", "A/USDT"): 5_000.0},
        equity=10_000.0,
        cluster_threshold=0.7,
    )
    assert m.vol.tolist() == [0.01, 0.03]
    assert m.correlation_with_held(1)[0] == 0.0
    assert m.portfolio_vol() == pytest.approx(0.5 * 0.01)
