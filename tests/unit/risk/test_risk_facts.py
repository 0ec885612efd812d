"""Stage 5's inputs: returns for held and candidate symbols read from the gated candle files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tradepipe.core.marketdata.fetch import candle_frame
from tradepipe.stages.risk_facts import load_returns

HOUR = 3_600_000


def write(path: Path, venue: str, symbol: str, closes: list[float], start: int = 0) -> str:
    rows = [[start + i * HOUR, c, c, c, c, 1.0] for i, c in enumerate(closes)]
    candle_frame(venue, symbol, rows).write_parquet(path)
    return str(path)


def test_returns_are_aligned_on_timestamps_across_files_and_windowed(tmp_path: Path) -> None:
    a = write(tmp_path / "a.parquet", "v", "A/USDT", [100.0 * 1.01**i for i in range(50)])
    b_closes = [50.0 + i for i in range(48)]
    b = write(tmp_path / "b.parquet", "w", "B/USDT", b_closes, start=2 * HOUR)  # starts two bars later
    panel = load_returns([a, b, a], {("v", "A/USDT"), ("w", "B/USDT"), ("x", "NONE/USDT")}, window=10)
    assert panel.keys == (("v", "A/USDT"), ("w", "B/USDT"))
    assert panel.returns.shape == (2, 10)
    np.testing.assert_allclose(panel.returns[0], np.log(1.01), rtol=1e-12)
    np.testing.assert_allclose(panel.returns[1], np.diff(np.log(b_closes[-11:])), rtol=1e-12)


def test_gaps_and_unreadable_files_do_not_break_sizing(tmp_path: Path) -> None:
    closes = [10.0 + i for i in range(20)]
    closes[15] = float("nan")
    a = write(tmp_path / "a.parquet", "v", "A/USDT", closes)
    (tmp_path / "bad.parquet").write_text("not parquet")
    panel = load_returns([a, str(tmp_path / "bad.parquet")], {("v", "A/USDT")}, window=8)
    assert panel.returns.shape == (1, 8)
    assert np.isnan(panel.returns[0]).sum() == 2  # the bar before and after the gap
    assert load_returns([], {("v", "A/USDT")}, 8).keys == ()
    assert load_returns([a], set(), 8).keys == ()
