"""The data-refresh flow under a real (temporary) Prefect API: it fills the store, then fetches only new bars."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.data_refresh import data_refresh
from tests.conftest import make_settings
from tradepipe.cli.data_store import summary_frame

pytestmark = pytest.mark.timeout(400)


def test_data_refresh_fills_the_store_incrementally(prefect_api: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state")
    first = data_refresh(settings=settings, symbols=["BTC/USDT", "ETH/USDT"], bars=120)
    assert first["pairs"] == 4 and first["incomplete"] == 0  # both symbols on both sim venues
    assert first["fetched"] >= 4 * 119
    frame = summary_frame(settings)
    assert sorted(frame["symbol"].to_list()) == ["BTC/USDT", "BTC/USDT", "ETH/USDT", "ETH/USDT"]
    assert frame["candles"].min() >= 119
    again = data_refresh(settings=settings, symbols=["BTC/USDT", "ETH/USDT"], bars=120)
    assert again["fetched"] == 0  # nothing newer than what is stored
    assert summary_frame(settings)["candles"].to_list() == frame["candles"].to_list()
