"""The evaluation cache: results keyed by symbol : strategy : data_hash : params_hash.

Entries of one symbol's candles live together (``load``/``save`` by venue, symbol and data hash); inside,
each entry is keyed ``"<strategy>:<params_hash>"`` (plus ``"regime:<hash>"`` and ``"features:<hash>"``),
so an unchanged symbol is not recomputed and a changed parameter recomputes only its strategy.
Entries are JSON-able dicts. Implementations must be picklable (they travel to Dask workers).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


class EvaluationCache(Protocol):
    def load(self, venue: str, symbol: str, data_hash: str) -> dict[str, Any]: ...

    def save(self, venue: str, symbol: str, data_hash: str, entries: dict[str, Any]) -> None: ...


@dataclass(slots=True)
class MemoryCache:
    """An in-process cache (tests, single-process runs)."""

    entries: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def load(self, venue: str, symbol: str, data_hash: str) -> dict[str, Any]:
        return dict(self.entries.get((venue, symbol, data_hash), {}))

    def save(self, venue: str, symbol: str, data_hash: str, entries: dict[str, Any]) -> None:
        self.entries.setdefault((venue, symbol, data_hash), {}).update(entries)


def params_hash(value: object) -> str:
    """A short stable hash of parameters (a dataclass's ``repr`` or any JSON-able value)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=repr)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def data_hash(*columns: np.ndarray) -> str:
    """A hash of one symbol's candle columns (bytes of each array, in order)."""
    digest = hashlib.blake2b(digest_size=16)
    for column in columns:
        digest.update(np.ascontiguousarray(column).tobytes())
    return digest.hexdigest()
