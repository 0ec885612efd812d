"""Parquet (zstd) candle store: per-source history partitioned by venue/symbol/timeframe, plus batch views.

* History: ``history/<venue>/<BASE-QUOTE>/<timeframe>/part-<first_ts>-<last_ts>.parquet`` (each name checked by
  ``safe_path_component``: nothing is read or written outside the store). An append writes only
  the new candles as one part (write-then-rename, so a crash leaves the previous parts intact and at most an
  orphan temp file, ignored on read and removed on the next write); reads merge the parts, newest wins per
  timestamp. When a partition has more than ``max_parts`` parts they are compacted into one (written before the
  old parts are removed, so a crash in between only leaves duplicates that reads collapse) and history older
  than ``retention_bars`` is dropped. History parts are not fsynced: they are a re-fetchable copy of venue data,
  and incremental fetch resumes from whatever the last complete part holds.
* Views: ``ohlcv/<timeframe>/<key>.parquet`` — the candles one batch of one cycle reads (the ``DatasetRef``
  target, with its content hash), written durably with a JSON sidecar, and a ``.provenance.parquet`` beside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from tradepipe.adapters.crash import crash_point
from tradepipe.adapters.files import safe_path_component, write_atomically
from tradepipe.core.marketdata.fetch import CANDLE_SCHEMA
from tradepipe.domain.market import DatasetRef
from tradepipe.errors import CorruptData

HISTORY_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
HISTORY_SCHEMA = {k: v for k, v in CANDLE_SCHEMA.items() if k in HISTORY_COLUMNS}
MAX_PARTS = 8
RETENTION_BARS = 5_000


class ParquetCandleStore:
    """See the module docstring."""

    def __init__(self, root: Path, *, max_parts: int = MAX_PARTS, retention_bars: int = RETENTION_BARS) -> None:
        self.root = Path(root)
        self.max_parts = max_parts
        self.retention_bars = retention_bars
        self._parts: dict[Path, list[tuple[int, int, Path]]] = {}

    # --- history -------------------------------------------------------------------
    def partition(self, venue: str, symbol: str, timeframe: str) -> Path:
        """The partition's directory; every name is checked to be one safe component (``UnsafeName`` if not)."""
        return (
            self.root
            / "history"
            / safe_path_component("venue", venue)
            / safe_path_component("symbol", symbol.replace("/", "-"))
            / safe_path_component("timeframe", timeframe)
        )

    def parts(self, venue: str, symbol: str, timeframe: str) -> list[tuple[int, int, Path]]:
        """(first_ts, last_ts, path) of every complete part, oldest first (listed once, then kept up to date)."""
        directory = self.partition(venue, symbol, timeframe)
        listed = self._parts.get(directory)
        if listed is None:
            listed = []
            for path in directory.glob("part-*.parquet") if directory.is_dir() else ():
                with contextlib.suppress(ValueError):
                    first, last = (int(x) for x in path.stem.removeprefix("part-").split("-"))
                    listed.append((first, last, path))
            listed.sort()
            self._parts[directory] = listed
        return list(listed)

    def last_timestamp(self, venue: str, symbol: str, timeframe: str) -> int | None:
        parts = self.parts(venue, symbol, timeframe)
        return max(last for _, last, _ in parts) if parts else None

    def read(self, venue: str, symbol: str, timeframe: str, since_ms: int | None = None) -> pl.DataFrame:
        """The partition's candles (timestamp ascending, one row per timestamp), from ``since_ms`` if given.

        A part another process compacted away meanwhile makes this re-list the partition once and read again.
        An unreadable part (truncated, not parquet, wrong columns) is set aside (``set_aside``) and raises
        ``CorruptData``: the caller skips that symbol, the next read sees a partition that is whole again.
        """
        for attempt in range(2):
            parts = self.parts(venue, symbol, timeframe)
            paths = [p for _, last, p in parts if since_ms is None or last >= since_ms]
            if not paths:
                return pl.DataFrame(schema=HISTORY_SCHEMA)
            try:
                frames = [self._read_part(venue, symbol, timeframe, p) for p in paths]
            except FileNotFoundError:
                self._parts.pop(self.partition(venue, symbol, timeframe), None)
                if attempt:
                    raise
                continue
            frame = pl.concat(frames).unique("timestamp", keep="last").sort("timestamp")
            return frame if since_ms is None else frame.filter(pl.col("timestamp") >= since_ms)
        raise AssertionError("unreachable")

    def _read_part(self, venue: str, symbol: str, timeframe: str, path: Path) -> pl.DataFrame:
        try:
            frame = pl.read_parquet(path)
            if dict(frame.schema) != HISTORY_SCHEMA:
                raise ValueError(f"columns {dict(frame.schema)}, expected {HISTORY_SCHEMA}")
        except FileNotFoundError:
            raise
        except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
            moved = self.set_aside(venue, symbol, timeframe, path)
            raise CorruptData(venue, symbol, f"{path}: {type(exc).__name__}: {exc}; {moved}") from exc
        return frame

    def set_aside(self, venue: str, symbol: str, timeframe: str, bad: Path) -> str:
        """Rename a bad part to ``<name>.corrupt-<utc>`` (kept for inspection, never read again) and drop the parts
        that end at or after its first bar, so the next fetch resumes before the hole instead of leaving a gap.
        Those parts are re-fetchable venue data. Returns what was done, for the quarantine reason."""
        directory = self.partition(venue, symbol, timeframe)
        parts = self.parts(venue, symbol, timeframe)
        first = next((f for f, _, p in parts if p == bad), None)
        target = bad.with_name(f"{bad.name}.corrupt-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}")
        try:
            os.replace(bad, target)
        except OSError as exc:
            return f"could not be moved aside ({type(exc).__name__}: {exc})"
        later = [p for f, last, p in parts if p != bad and first is not None and last >= first]
        for path in later:
            path.unlink(missing_ok=True)
        self._parts[directory] = [(f, last, p) for f, last, p in parts if p != bad and p not in later]
        return f"moved to {target.name}" + (f", {len(later)} later part(s) dropped to re-fetch" if later else "")

    def append(self, venue: str, symbol: str, timeframe: str, rows: pl.DataFrame) -> int:
        """Store candles newer than the partition's last one as a new part; returns how many were new."""
        last = self.last_timestamp(venue, symbol, timeframe)
        new = rows.select(HISTORY_COLUMNS)
        stamps = new["timestamp"].to_numpy()
        if len(stamps) > 1 and not bool(np.all(np.diff(stamps) > 0)):  # pages arrive ascending: rarely needed
            new = new.unique("timestamp", keep="last").sort("timestamp")
            stamps = new["timestamp"].to_numpy()
        if last is not None and len(stamps) and stamps[0] <= last:
            new = new.slice(int(np.searchsorted(stamps, last, "right")))
        if new.is_empty():
            return 0
        directory = self.partition(venue, symbol, timeframe)
        first_ts, last_ts = int(new["timestamp"][0]), int(new["timestamp"][-1])
        path = directory / f"part-{first_ts}-{last_ts}.parquet"
        _replace(path, new)
        self._parts[directory] = sorted([*self.parts(venue, symbol, timeframe), (first_ts, last_ts, path)])
        if len(self._parts[directory]) > self.max_parts:
            self.compact(venue, symbol, timeframe)
        return new.height

    def compact(self, venue: str, symbol: str, timeframe: str) -> None:
        """Merge a partition's parts into one, keeping the newest ``retention_bars`` candles."""
        parts = self.parts(venue, symbol, timeframe)
        if len(parts) <= 1:
            return
        merged = self.read(venue, symbol, timeframe).tail(self.retention_bars)
        first_ts, last_ts = int(merged["timestamp"][0]), int(merged["timestamp"][-1])
        target = self.partition(venue, symbol, timeframe) / f"part-{first_ts}-{last_ts}.parquet"
        _replace(target, merged, compact=True)
        self._parts[target.parent] = [(first_ts, last_ts, target)]
        for _, _, path in parts:
            if path != target:
                path.unlink(missing_ok=True)
        for orphan in target.parent.glob(".part-*.tmp"):
            orphan.unlink(missing_ok=True)

    def history_stats(self) -> dict[str, int]:
        """Files, bytes and candle rows of the history partitions."""
        files = sorted((self.root / "history").rglob("part-*.parquet"))
        rows = int(pl.scan_parquet(files).select(pl.len()).collect().item()) if files else 0
        return {"files": len(files), "bytes": sum(f.stat().st_size for f in files), "rows": rows}

    # --- batch views ----------------------------------------------------------------
    def _path(self, key: str, timeframe: str = "") -> Path:
        tf = safe_path_component("timeframe", timeframe or "any")
        return self.root / "ohlcv" / tf / f"{safe_path_component('key', key)}.parquet"

    def find(self, key: str) -> DatasetRef | None:
        """The view stored under ``key`` if it is whole; an unreadable sidecar counts as absent (rewritten)."""
        for sidecar in (self.root / "ohlcv").glob(f"*/{safe_path_component('key', key)}.json"):
            try:
                data = json.loads(sidecar.read_text())
                path = Path(data["path"])
                if path.exists() and file_hash(path) == data["content_hash"]:
                    return _ref_from_json(data)
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return None

    def write(
        self,
        key: str,
        frame: pl.DataFrame,
        *,
        timeframe: str,
        batch_index: int,
        as_of_ms: int,
        provenance: pl.DataFrame | None = None,
    ) -> DatasetRef:
        path = self._path(key, timeframe)
        ordered = frame.sort("venue", "symbol", "timestamp")
        write_atomically(path, lambda tmp: ordered.write_parquet(tmp, compression="zstd"))
        if provenance is not None:
            _replace(path.with_suffix(".provenance.parquet"), provenance)
        pairs = frame.select("venue", "symbol").unique(maintain_order=True).rows()
        ref = DatasetRef(
            path=str(path.resolve()),
            content_hash=file_hash(path),
            timeframe=timeframe,
            batch_index=batch_index,
            symbols=tuple((str(v), str(s)) for v, s in pairs),
            rows=frame.height,
            as_of_ms=as_of_ms,
        )
        text = json.dumps(_ref_to_json(ref))
        write_atomically(path.with_suffix(".json"), lambda tmp: tmp.write_text(text))
        return ref

    def provenance(self, ref: DatasetRef) -> pl.DataFrame | None:
        """The per-candle provenance written beside a view, if any."""
        path = Path(ref.path).with_suffix(".provenance.parquet")
        return pl.read_parquet(path) if path.exists() else None

    def prune_views(self, older_than_ms: int) -> int:
        """Delete batch views whose sim time is before ``older_than_ms``; returns how many went."""
        removed = 0
        for sidecar in (self.root / "ohlcv").glob("*/*.json"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                if int(json.loads(sidecar.read_text())["as_of_ms"]) < older_than_ms:
                    for suffix in (".parquet", ".provenance.parquet", ".json"):
                        sidecar.with_suffix(suffix).unlink(missing_ok=True)
                    removed += 1
        return removed


def _replace(path: Path, frame: pl.DataFrame, *, compact: bool = False) -> None:
    """Write-then-rename without fsync (see the module docstring): a reader sees the old file or the new one.

    No column statistics: reads select parts by the timestamps in their names, never by statistics. A compacted
    part uses encodings that suit candles (delta timestamps, byte-stream-split floats: ~18 % smaller under zstd);
    small appended parts are written the fast way.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if compact and set(frame.columns) == set(HISTORY_COLUMNS):
            encodings = {c: "BYTE_STREAM_SPLIT" for c in HISTORY_COLUMNS[1:]} | {"timestamp": "DELTA_BINARY_PACKED"}
            pq.write_table(
                frame.to_arrow(),
                name,
                compression="zstd",
                use_dictionary=False,
                column_encoding=encodings,
                write_statistics=False,
            )
        else:
            frame.write_parquet(name, compression="zstd", statistics=False)
        crash_point("candles.before_replace")
        os.replace(name, path)
        crash_point("candles.replaced")
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ref_to_json(ref: DatasetRef) -> dict[str, object]:
    return {
        "path": ref.path,
        "content_hash": ref.content_hash,
        "timeframe": ref.timeframe,
        "batch_index": ref.batch_index,
        "symbols": [list(p) for p in ref.symbols],
        "rows": ref.rows,
        "as_of_ms": ref.as_of_ms,
    }


def _ref_from_json(data: dict[str, object]) -> DatasetRef:
    symbols = data["symbols"]
    assert isinstance(symbols, list)
    return DatasetRef(
        path=str(data["path"]),
        content_hash=str(data["content_hash"]),
        timeframe=str(data["timeframe"]),
        batch_index=int(str(data["batch_index"])),
        symbols=tuple((str(v), str(s)) for v, s in symbols),
        rows=int(str(data["rows"])),
        as_of_ms=int(str(data["as_of_ms"])),
    )
