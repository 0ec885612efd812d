"""A small TTL cache in memory and on disk (pickles under one directory), with hit/miss counters.

Entries carry their expiry in the caller's clock (sim time in paper cycles), so a cached value is reused only
while it is fresh for *that* clock. Disk entries are written write-then-rename; an unreadable one is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class TtlCounters:
    hits: int = 0
    disk_hits: int = 0
    misses: int = 0


class TtlCache:
    """``get(key, now_ms)`` / ``put(key, value, now_ms, ttl_ms)``; memory first, then ``directory``."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.counters = TtlCounters()
        self._memory: dict[str, tuple[int, Any]] = {}

    def get(self, key: str, now_ms: int) -> Any | None:
        entry = self._memory.get(key)
        if entry is None and self.directory is not None:
            path = self._path(key)
            with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, ValueError):
                entry = pickle.loads(path.read_bytes())
                if entry is not None and entry[0] > now_ms:
                    self._memory[key] = entry
                    self.counters.disk_hits += 1
        if entry is not None and entry[0] > now_ms:
            self.counters.hits += 1
            return entry[1]
        self.counters.misses += 1
        return None

    def put(self, key: str, value: Any, now_ms: int, ttl_ms: int) -> None:
        entry = (now_ms + ttl_ms, value)
        self._memory[key] = entry
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(entry, handle)
        os.replace(name, self._path(key))

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".pkl")
