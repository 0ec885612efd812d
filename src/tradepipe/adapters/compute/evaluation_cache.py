"""The evaluation cache on disk: one small JSON file per (venue, symbol, data hash), shared by all workers.

A worker process of a local or remote cluster reads and writes it by path (like the candle store, it must
be on shared storage for a remote cluster). Writes replace the file atomically without fsync: a cache
entry lost in a crash is only recomputed, and a corrupt or unreadable file is treated as a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradepipe.adapters.files import write_atomically


@dataclass(frozen=True, slots=True)
class DirectoryCache:
    root: str

    def _path(self, venue: str, symbol: str, data_hash: str) -> Path:
        name = hashlib.blake2b(f"{venue}\0{symbol}".encode(), digest_size=8).hexdigest()
        return Path(self.root) / name[:2] / f"{name}-{data_hash}.json"

    def load(self, venue: str, symbol: str, data_hash: str) -> dict[str, Any]:
        try:
            data = json.loads(self._path(venue, symbol, data_hash).read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, venue: str, symbol: str, data_hash: str, entries: dict[str, Any]) -> None:
        merged = self.load(venue, symbol, data_hash) | entries
        text = json.dumps(merged, separators=(",", ":"))
        write_atomically(self._path(venue, symbol, data_hash), lambda tmp: tmp.write_text(text), durable=False)

    def prune(self, max_age_s: float) -> int:
        """Delete entries not written for ``max_age_s`` seconds (candles move on each bar, so old keys never hit
        again); return how many were deleted. Safe while workers write: a vanished file is only a miss."""
        cutoff = time.time() - max_age_s
        removed = 0
        root = Path(self.root)
        if not root.is_dir():
            return 0
        for bucket in os.scandir(root):
            if not bucket.is_dir():
                continue
            for entry in os.scandir(bucket.path):
                try:
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed
