"""``tradepipe data download|list|show`` on the simulator, and the discover/fetch stage wiring (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradepipe import wiring
from tradepipe.adapters.storage.candles import ParquetCandleStore
from tradepipe.cli import app
from tradepipe.cli.data_store import summary_frame
from tradepipe.config import Settings
from tradepipe.errors import ConfigurationError
from tradepipe.stages import data_refresh, discover, market_sources
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


def test_a_wrong_shape_ticker_cache_file_is_refetched_not_fatal(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    as_of = first_as_of_ms(settings)
    snaps = discover.venue_snapshots(settings, as_of)
    files = sorted((tmp_path / "cache" / "tickers").iterdir())
    assert len(files) == 2  # one per venue
    for f in files:
        entry = json.loads(f.read_text())
        f.write_text(json.dumps({**entry, "value": [{"venue": 1, "symbol": ["not", "a", "snapshot"]}]}))
    market_sources.ticker_cache.cache_clear()  # a new process: only the disk entries are left
    assert discover.venue_snapshots(settings, as_of) == snaps
    assert market_sources.ticker_cache(settings).counters.discarded == 2
    assert all(json.loads(f.read_text())["value"][0]["venue"] != 1 for f in files)  # rewritten by the refetch


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


def test_refresh_sets_a_truncated_file_aside_quarantines_the_symbol_and_refetches(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    end = first_as_of_ms(settings)
    data_refresh.refresh(settings, symbols=["BTC/USDT", "ETH/USDT"], bars=50, end_ms=end)
    store = wiring.store(settings)
    (part,) = store.partition("sim-alpha", "BTC/USDT", "1h").glob("part-*.parquet")
    part.write_bytes(part.read_bytes()[:150])
    market_sources.window_cache.cache_clear()  # a new process reads the history from disk
    report = data_refresh.refresh(settings, symbols=["BTC/USDT", "ETH/USDT"], bars=50, end_ms=end + 3_600_000)
    assert [c[:2] for c in report.corrupt] == [("sim-alpha", "BTC/USDT")] and part.name in report.corrupt[0][2]
    assert report.as_dict()["corrupt"] == [list(report.corrupt[0])]
    assert ParquetCandleStore(store.root).read("sim-alpha", "BTC/USDT", "1h").height == 50  # re-fetched whole
    assert {(e.venue, e.symbol, e.check) for e in wiring.quality_store(settings).open_quarantine()} == {
        ("sim-alpha", "BTC/USDT", "corrupt_file")
    }


def test_data_show_and_list_report_a_corrupt_file_without_a_traceback(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    got = runner.invoke(app, ["data", "download", "BTC/USDT", "ETH/USDT", "--venue", "sim-alpha", "--bars", "20",
                              "-c", str(cfg)])  # fmt: skip
    assert got.exit_code == 0, got.output
    store = wiring.store(Settings(state_dir=tmp_path / "state"))
    for symbol in ("BTC/USDT", "ETH/USDT"):
        (part,) = store.partition("sim-alpha", symbol, "1h").glob("part-*.parquet")
        part.write_bytes(b"torn")
    shown = runner.invoke(app, ["data", "show", "sim-alpha", "BTC/USDT", "-c", str(cfg)])
    assert shown.exit_code == 1 and isinstance(shown.exception, SystemExit)  # a clean exit, no traceback
    assert "corrupt file set aside" in shown.output
    listed = runner.invoke(app, ["data", "list", "-c", str(cfg)])
    assert listed.exit_code == 0 and "ETH/USDT" in listed.output and "corrupt file set aside" in listed.output
    assert "the candle store is empty" in listed.output  # both partitions were emptied, nothing left to list


def test_path_like_venue_or_timeframe_on_the_command_line_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    bad_tf = runner.invoke(app, ["data", "download", "BTC/USDT", "-v", "sim-alpha", "-t", "../../x", "-c", str(cfg)])
    assert bad_tf.exit_code == 1 and "timeframe: '../../x' is not a timeframe" in bad_tf.output
    shown = runner.invoke(app, ["data", "show", "../../etc", "BTC/USDT", "-t", "/tmp/x", "-c", str(cfg)])
    assert shown.exit_code == 2 and "venue: '../../etc' cannot name a file or directory" in shown.output
    assert not (tmp_path / "state" / "candles").exists() and not (tmp_path / "x").exists()
