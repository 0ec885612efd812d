"""Candle store (atomic parts, compaction, views) and caches (window cache, TTL cache, TTL policy)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import polars as pl
import pytest

from tests.unit.marketdata.conftest import HOUR
from tradepipe.adapters.storage.cache import RecordList, TtlCache
from tradepipe.adapters.storage.candles import ParquetCandleStore, file_hash
from tradepipe.core.marketdata import WindowCache, ttl_ms
from tradepipe.core.marketdata.fetch import candle_rows
from tradepipe.domain.market import MarketSnapshot
from tradepipe.errors import CorruptData, UnsafeName


def rows(start: int, n: int, price: float = 100.0) -> pl.DataFrame:
    return candle_rows([[start + i * HOUR, price, price + 1, price - 1, price + i * 0.01, 5.0] for i in range(n)])


def test_a_crash_mid_write_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path)
    store.append("v", "BTC/USDT", "1h", rows(0, 10))
    (before,) = store.parts("v", "BTC/USDT", "1h")
    content = before[2].read_bytes()
    # a real process dies (os._exit: no cleanup, no finally) having written half of the new part
    script = textwrap.dedent(
        f"""
        import os, polars as pl
        from pathlib import Path
        from tradepipe.adapters.storage import candles
        from tradepipe.core.marketdata.fetch import candle_rows
        real = pl.DataFrame.write_parquet
        def torn(self, path, **kw):
            real(self, path, **kw)
            data = Path(path).read_bytes()
            Path(path).write_bytes(data[: len(data) // 2])
            os._exit(9)
        pl.DataFrame.write_parquet = torn
        store = candles.ParquetCandleStore(Path({str(tmp_path)!r}), max_parts=0)
        store.append("v", "BTC/USDT", "1h", candle_rows([[{10 * HOUR}, 1.0, 1.0, 1.0, 1.0, 1.0]]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    directory = store.partition("v", "BTC/USDT", "1h")
    assert list(directory.glob(".part-*.tmp"))  # the torn temp file is all the crash left
    fresh = ParquetCandleStore(tmp_path)
    assert [p[:2] for p in fresh.parts("v", "BTC/USDT", "1h")] == [(0, 9 * HOUR)]
    assert before[2].read_bytes() == content
    assert fresh.read("v", "BTC/USDT", "1h")["timestamp"].to_list() == [i * HOUR for i in range(10)]
    assert fresh.append("v", "BTC/USDT", "1h", rows(10 * HOUR, 2)) == 2  # and the store carries on


def test_appends_add_parts_and_compaction_merges_them_without_loss(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path, max_parts=3, retention_bars=8)
    assert store.last_timestamp("v", "S/USDT", "1h") is None
    for i in range(3):
        assert store.append("v", "S/USDT", "1h", rows(i * 2 * HOUR, 2)) == 2
    assert store.append("v", "S/USDT", "1h", rows(0, 6)) == 0  # nothing newer than the last stored bar
    assert len(store.parts("v", "S/USDT", "1h")) == 3
    store.append("v", "S/USDT", "1h", rows(6 * HOUR, 3))  # a 4th part triggers compaction + retention
    (part,) = store.parts("v", "S/USDT", "1h")
    assert part[:2] == (1 * HOUR, 8 * HOUR)
    assert store.read("v", "S/USDT", "1h")["timestamp"].to_list() == [h * HOUR for h in range(1, 9)]
    assert store.read("v", "S/USDT", "1h", since_ms=7 * HOUR).height == 2
    assert store.history_stats()["rows"] == 8


def test_views_carry_a_content_hash_and_are_pruned_by_age(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path)
    frame = rows(0, 3).select(pl.lit("v").alias("venue"), pl.lit("S/USDT").alias("symbol"), pl.all())
    ref = store.write("k1", frame, timeframe="1h", batch_index=0, as_of_ms=10 * HOUR)
    assert ref.content_hash == file_hash(Path(ref.path)) and ref.rows == 3 and store.find("k1") == ref
    Path(ref.path).write_bytes(b"corrupt")
    assert store.find("k1") is None  # a hash mismatch is not served
    store.write("k2", frame, timeframe="1h", batch_index=0, as_of_ms=20 * HOUR)
    assert store.prune_views(older_than_ms=15 * HOUR) == 1
    assert store.find("k2") is not None and not Path(ref.path).exists()


def test_window_cache_serves_memory_first_and_counts(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path)
    store.append("v", "S/USDT", "1h", rows(0, 5))
    cache = WindowCache(store, keep_bars=4)
    assert cache.last_timestamp("v", "S/USDT", "1h") == 4 * HOUR and cache.counters.disk_reads == 1
    assert cache.frame("v", "S/USDT", "1h").height == 4  # only the kept tail is loaded
    assert cache.append("v", "S/USDT", "1h", rows(3 * HOUR, 3)) == 1  # only the bar newer than the last
    assert cache.frame("v", "S/USDT", "1h")["timestamp"].to_list() == [h * HOUR for h in range(2, 6)]
    assert cache.counters.disk_reads == 1 and cache.counters.rows_fetched == 1


def test_ttl_policy_shortens_with_volatility() -> None:
    assert ttl_ms("1h", 0.0) == HOUR and ttl_ms("1h", 0.02) == HOUR
    assert ttl_ms("1h", 0.20) == HOUR // 4
    assert ttl_ms("1h", 50.0) == HOUR // 10  # floored
    assert ttl_ms("1d", 0.10) == 86_400_000 // 2


def test_ttl_cache_in_memory_and_on_disk(tmp_path: Path) -> None:
    cache = TtlCache(tmp_path)
    assert cache.get("k", 0) is None
    cache.put("k", {"a": 1}, now_ms=0, ttl_ms=100)
    assert cache.get("k", 50) == {"a": 1}
    assert cache.get("k", 100) is None  # expired
    other = TtlCache(tmp_path)  # another process
    assert other.get("k", 99) == {"a": 1} and other.counters.disk_hits == 1
    assert (cache.counters.hits, cache.counters.misses) == (1, 2)


class _Bomb:
    """Unpickling this runs code: it creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


def test_a_pickle_bomb_in_the_cache_directory_never_runs(tmp_path: Path) -> None:
    cache_dir, marker = tmp_path / "cache", tmp_path / "pwned"
    TtlCache(cache_dir).put("k", {"a": 1}, now_ms=0, ttl_ms=10)
    files = list(cache_dir.iterdir())
    assert files and pickle.loads(pickle.dumps(_Bomb(tmp_path / "armed"))) is None  # the bomb is live
    assert (tmp_path / "armed").exists()
    for f in files:
        f.write_bytes(pickle.dumps((10, _Bomb(marker))))
    cache = TtlCache(cache_dir)
    assert cache.get("k", 1) is None and not marker.exists()
    assert cache.counters.discarded == 1 and list(cache_dir.iterdir()) == []  # removed, not read again


WRONG_SHAPES = [
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"[1, 2]",
    b'{"format": "tradepipe.ttl-cache/1", "key": "k", "expires_ms": 10}',
    b'{"format": "tradepipe.ttl-cache/1", "key": "other", "expires_ms": 10, "value": 1}',
    b'{"format": "tradepipe.ttl-cache/1", "key": "k", "expires_ms": true, "value": 1}',
    b'{"format": "tradepipe.ttl-cache/1", "key": "k", "expires_ms": "10", "value": 1}',
    b"[" * 100_000,
]


@pytest.mark.parametrize("bad", WRONG_SHAPES)
def test_an_unreadable_or_wrong_shape_cache_file_is_a_miss_and_removed(tmp_path: Path, bad: bytes) -> None:
    TtlCache(tmp_path).put("k", 1, now_ms=0, ttl_ms=10)
    [path] = tmp_path.iterdir()
    path.write_bytes(bad)
    cache = TtlCache(tmp_path)
    assert cache.get("k", 1) is None and cache.counters.discarded == 1 and not path.exists()
    cache.put("k", 2, now_ms=0, ttl_ms=10)
    assert TtlCache(tmp_path).get("k", 1) == 2  # the next put heals it


SNAPSHOT = MarketSnapshot("sim-alpha", "BTC/USDT", "BTC", "USDT", 100.0, 99.5, 100.5, 1e6, 110.0, None, 1_000)


def test_snapshots_round_trip_through_the_json_cache(tmp_path: Path) -> None:
    snaps = [SNAPSHOT, MarketSnapshot("v", "X/USDT", "X", "USDT", 1.0, 0.9, 1.1, 5.0)]
    TtlCache(tmp_path, RecordList(MarketSnapshot)).put("k", snaps, now_ms=0, ttl_ms=10)
    again = TtlCache(tmp_path, RecordList(MarketSnapshot))
    assert again.get("k", 1) == snaps and again.counters.disk_hits == 1
    assert json.loads(next(tmp_path.iterdir()).read_text())["value"][0]["symbol"] == "BTC/USDT"  # plain JSON


@pytest.mark.parametrize(
    "record",
    [
        {"venue": "v"},  # fields missing
        {**asdict(SNAPSHOT), "extra": 1},
        {**asdict(SNAPSHOT), "last": "100"},
        {**asdict(SNAPSHOT), "bid": True},
        {**asdict(SNAPSHOT), "listed_at_ms": 1.5},
        {**asdict(SNAPSHOT), "symbol": None},
        [1, 2, 3],
    ],
)
def test_a_wrong_shape_snapshot_is_a_miss(tmp_path: Path, record: object) -> None:
    cache = TtlCache(tmp_path, RecordList(MarketSnapshot))
    cache.put("k", [SNAPSHOT], now_ms=0, ttl_ms=10)
    [path] = tmp_path.iterdir()
    entry = json.loads(path.read_text())
    path.write_text(json.dumps({**entry, "value": [record]}))
    fresh = TtlCache(tmp_path, RecordList(MarketSnapshot))
    assert fresh.get("k", 1) is None and not path.exists()


def test_a_reader_survives_another_process_compacting_the_partition(tmp_path: Path) -> None:
    reader, writer = ParquetCandleStore(tmp_path), ParquetCandleStore(tmp_path, max_parts=1)
    reader.append("v", "S/USDT", "1h", rows(0, 3))
    assert reader.read("v", "S/USDT", "1h").height == 3  # the reader has listed the partition
    writer.append("v", "S/USDT", "1h", rows(3 * HOUR, 2))  # the writer compacts: the listed part is gone
    assert reader.read("v", "S/USDT", "1h")["timestamp"].to_list() == [h * HOUR for h in range(5)]


@pytest.mark.parametrize("damage", ["truncated", "not_parquet", "wrong_columns"])
def test_an_unreadable_part_is_set_aside_and_later_parts_dropped_so_the_partition_heals(
    tmp_path: Path, damage: str
) -> None:
    store = ParquetCandleStore(tmp_path, max_parts=10)
    for start in (0, 10, 20):
        store.append("v", "BTC/USDT", "1h", rows(start * HOUR, 10))
    (_, first), (_, middle), (_, last) = ((p[0], p[2]) for p in store.parts("v", "BTC/USDT", "1h"))
    if damage == "truncated":
        middle.write_bytes(middle.read_bytes()[:100])
    elif damage == "not_parquet":
        middle.write_bytes(b"not a parquet file at all")
    else:
        pl.DataFrame({"timestamp": [10 * HOUR], "price": [1.0]}).write_parquet(middle)
    fresh = ParquetCandleStore(tmp_path)
    with pytest.raises(CorruptData, match=rf"v BTC/USDT: .*{middle.name}.*moved to {middle.name}\.corrupt-") as info:
        fresh.read("v", "BTC/USDT", "1h")
    assert (info.value.venue, info.value.symbol) == ("v", "BTC/USDT") and "1 later part(s) dropped" in str(info.value)
    assert [p[2] for p in fresh.parts("v", "BTC/USDT", "1h")] == [first] and not last.exists()
    assert len(list(middle.parent.glob(f"{middle.name}.corrupt-*"))) == 1  # kept for inspection, never read
    assert fresh.last_timestamp("v", "BTC/USDT", "1h") == 9 * HOUR  # the next fetch resumes before the hole
    assert fresh.read("v", "BTC/USDT", "1h").height == 10
    assert ParquetCandleStore(tmp_path).history_stats()["files"] == 1


def test_an_unreadable_view_sidecar_is_a_miss_and_the_view_is_rewritten(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path)
    frame = rows(0, 3).select(pl.lit("v").alias("venue"), pl.lit("S/USDT").alias("symbol"), pl.all())
    ref = store.write("k1", frame, timeframe="1h", batch_index=0, as_of_ms=10 * HOUR)
    Path(ref.path).with_suffix(".json").write_bytes(b'{"path": ')
    assert store.find("k1") is None
    assert store.write("k1", frame, timeframe="1h", batch_index=0, as_of_ms=10 * HOUR) == ref
    assert store.find("k1") == ref


@pytest.mark.parametrize(
    ("venue", "symbol", "timeframe", "field"),
    [
        ("../../etc", "BTC/USDT", "1h", "venue"),
        ("v", "BTC/USDT", "../../../outside", "timeframe"),
        ("v", "BTC/USDT", "/tmp/outside", "timeframe"),
        ("/tmp/outside", "BTC/USDT", "1h", "venue"),
        ("v", "../../x", "1h", "symbol"),
        ("v", "BTC/USDT", "..", "timeframe"),
    ],
)
def test_path_names_outside_the_store_are_refused_and_nothing_is_written(
    tmp_path: Path, venue: str, symbol: str, timeframe: str, field: str
) -> None:
    store = ParquetCandleStore(tmp_path / "state" / "candles")
    for call in (
        lambda: store.append(venue, symbol, timeframe, rows(0, 3)),
        lambda: store.read(venue, symbol, timeframe),
        lambda: store.compact(venue, symbol, timeframe),
    ):
        with pytest.raises(UnsafeName, match=rf"^{field}: "):
            call()
    frame = rows(0, 3).select(pl.lit(venue).alias("venue"), pl.lit(symbol).alias("symbol"), pl.all())
    with pytest.raises(UnsafeName, match=r"^timeframe: "):
        store.write("k1", frame, timeframe=timeframe if field == "timeframe" else "../x", batch_index=0, as_of_ms=1)
    with pytest.raises(UnsafeName, match=r"^key: "):
        store.write("../../k1", frame, timeframe="1h", batch_index=0, as_of_ms=1)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert not Path("/tmp/outside").exists()


def test_symbols_keep_their_encoding_and_a_slash_never_leaves_the_partition(tmp_path: Path) -> None:
    store = ParquetCandleStore(tmp_path)
    store.append("v", "BTC/USDT", "1h", rows(0, 3))
    store.append("v", "x/../../y", "1h", rows(0, 3))  # every "/" is encoded: one harmless directory name
    assert store.partition("v", "BTC/USDT", "1h") == tmp_path / "history" / "v" / "BTC-USDT" / "1h"
    assert {p.relative_to(tmp_path).parts[:4] for p in tmp_path.rglob("*.parquet")} == {
        ("history", "v", "BTC-USDT", "1h"),
        ("history", "v", "x-..-..-y", "1h"),
    }
