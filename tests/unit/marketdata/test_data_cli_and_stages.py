"""``tradepipe data download|list|show`` on the simulator, and the discover/fetch stage wiring (offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradepipe.cli import app
from tradepipe.cli.data_store import summary_frame
from tradepipe.config import Settings
from tradepipe.errors import ConfigurationError
from tradepipe.stages import discover, market_sources
from tradepipe.wiring import first_as_of_ms, gateways

runner = CliRunner()


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "tradepipe.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n{extra}')
    return path


def test_download_list_show_round_trip_incrementally(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    first = runner.invoke(app, ["data", "download", "BTC/USDT", "ETH/USDT", "--venue", "sim-alpha", "--bars", "200",
                                "-c", str(cfg)])  # fmt: skip
    assert first.exit_code == 0, first.output
    assert "400 new candles for 2 symbols" in first.output
    again = runner.invoke(app, ["data", "download", "BTC/USDT", "--venue", "sim-alpha", "--bars", "200",
                                "--as-of", "2026-01-26T03:00", "-c", str(cfg)])  # fmt: skip
    assert again.exit_code == 0 and "3 new candles for 1 symbols" in again.output  # only the newer bars
    frame = summary_frame(Settings(state_dir=tmp_path / "state"))
    assert frame.rows() == [("sim-alpha", "BTC/USDT", "1h", 203), ("sim-alpha", "ETH/USDT", "1h", 200)]
    listed = runner.invoke(app, ["data", "list", "-c", str(cfg)])
    assert listed.exit_code == 0 and "BTC/USDT" in listed.output and "2 partitions" in listed.output
    shown = runner.invoke(app, ["data", "show", "sim-alpha", "BTC/USDT", "--tail", "3", "-c", str(cfg)])
    assert shown.exit_code == 0 and "203 candles, 0 gaps" in shown.output and "2026-01-26 02:00" in shown.output
    missing = runner.invoke(app, ["data", "show", "sim-beta", "BTC/USDT", "-c", str(cfg)])
    assert missing.exit_code == 1 and "no 1h candles stored" in missing.output
    nothing = runner.invoke(app, ["data", "download", "NOPE/USDT", "--venue", "sim-alpha", "-c", str(cfg)])
    assert nothing.exit_code == 1 and "no listed symbol matches" in nothing.output


def test_data_help_lists_the_store_commands() -> None:
    result = runner.invoke(app, ["data", "--help"])
    assert result.exit_code == 0
    assert all(word in result.output for word in ("download", "list", "show"))


def test_discovery_attaches_new_pools_and_caches_tickers_in_sim_time(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    as_of = first_as_of_ms(settings)
    pools = discover.new_pools(settings, as_of)
    assert 0 < len(pools) <= settings.pools.max_candidates and all(p.venue == "sim-sol" for p in pools)
    seen = dict(market_sources.pool_watcher(settings).first_seen)
    discover.new_pools(settings, as_of + 3_600_000)  # the next cycle: earlier sightings are remembered
    later = market_sources.pool_watcher(settings).first_seen
    assert all(later[k] == v for k, v in seen.items()) and len(later) >= len(seen)
    assert discover.new_pools(Settings(state_dir=tmp_path, pools={"enabled": False}), as_of) == ()
    snaps = discover.venue_snapshots(settings, as_of)
    again = discover.venue_snapshots(settings, as_of)
    cache = market_sources.ticker_cache(settings)
    assert snaps == again and cache.counters.hits == 2 and cache.counters.misses == 2  # one per venue
    discover.venue_snapshots(settings, as_of + 3_600_000)  # a bar later: the TTL (at most a bar) has run out
    assert cache.counters.misses == 4


def test_router_config_is_validated_and_keeps_breakers_across_cycles(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, marketdata={"fallback_sources": ["sim-beta"]})
    as_of = first_as_of_ms(settings)
    first = market_sources.router(settings, gateways(settings, as_of))
    later = market_sources.router(settings, gateways(settings, as_of + 3_600_000))
    assert first.breakers is later.breakers and first.order == ["sim-beta", "sim-alpha"]
    md = settings.marketdata.model_copy(update={"fallback_sources": ("binance",)})
    bad = settings.model_copy(update={"marketdata": md})  # load refuses it first (tests/unit/test_config.py)
    with pytest.raises(ConfigurationError, match=r"marketdata\.fallback_sources: unknown source"):
        market_sources.router(bad, gateways(bad, as_of))
