"""Parquet (zstd) candle store: atomic writes and a content hash per file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from tradepipe.adapters.files import write_atomically
from tradepipe.domain.market import DatasetRef


class ParquetCandleStore:
    """Files under ``root/ohlcv/<timeframe>/<key>.parquet`` with a JSON sidecar holding the ref."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str, timeframe: str = "") -> Path:
        return self.root / "ohlcv" / (timeframe or "any") / f"{key}.parquet"

    def find(self, key: str) -> DatasetRef | None:
        for sidecar in (self.root / "ohlcv").glob(f"*/{key}.json"):
            data = json.loads(sidecar.read_text())
            path = Path(data["path"])
            if path.exists() and file_hash(path) == data["content_hash"]:
                return _ref_from_json(data)
        return None

    def write(self, key: str, frame: pl.DataFrame, *, timeframe: str, batch_index: int, as_of_ms: int) -> DatasetRef:
        path = self._path(key, timeframe)
        ordered = frame.sort("venue", "symbol", "timestamp")
        write_atomically(path, lambda tmp: ordered.write_parquet(tmp, compression="zstd"))
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
