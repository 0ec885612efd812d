"""A small TTL cache in memory and on disk (one JSON file per key under one directory), with hit/miss counters.

Entries carry their expiry in the caller's clock (sim time in paper cycles), so a cached value is reused only
while it is fresh for *that* clock. Disk entries are written write-then-rename as plain JSON (no pickle: reading
a file never runs code); a ``Codec`` turns the cached values into JSON values and checks their shape on the way
back. An unreadable or wrong-shape entry is a miss and is removed — never an exception.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger(__name__)
FORMAT = "tradepipe.ttl-cache/1"
T = TypeVar("T")
_ENTRY_KEYS = frozenset({"format", "key", "expires_ms", "value"})


class Codec(Protocol[T]):
    """Cached values to JSON values and back; ``decode`` raises ``ValueError``/``TypeError`` on a wrong shape."""

    def encode(self, value: T) -> Any: ...

    def decode(self, data: Any) -> T: ...


class PlainJson:
    """Values that already are JSON values (dicts, lists, str, numbers, bools, None), stored as they are."""

    def encode(self, value: Any) -> Any:
        return value

    def decode(self, data: Any) -> Any:
        return data


class RecordList(Generic[T]):
    """A list of one frozen dataclass whose fields are ``str``, ``int``, ``float`` or one of them ``| None``.

    Each record is a JSON object with exactly the dataclass's fields; a missing, extra or mistyped field (a bool
    where a number belongs, a string where a float belongs) is a ``ValueError``.
    """

    def __init__(self, cls: type[T]) -> None:
        self.cls = cls
        hints = typing.get_type_hints(cls)
        self.fields = {f.name: _scalar_kinds(hints[f.name]) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    def encode(self, value: list[T]) -> Any:
        return [dataclasses.asdict(item) for item in value]  # type: ignore[call-overload]

    def decode(self, data: Any) -> list[T]:
        if not isinstance(data, list):
            raise ValueError(f"expected a list of {self.cls.__name__}, got {type(data).__name__}")
        return [self._record(item) for item in data]

    def _record(self, item: Any) -> T:
        if not isinstance(item, dict) or item.keys() != self.fields.keys():
            raise ValueError(f"not a {self.cls.__name__} record: {str(item)[:80]}")
        return self.cls(**{name: _checked(name, item[name], kinds) for name, kinds in self.fields.items()})


def _scalar_kinds(hint: Any) -> tuple[type | None, ...]:
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union else ()
    kinds = tuple(None if a is type(None) else a for a in args) if args else (hint,)
    if not all(k in (str, int, float, None) for k in kinds):
        raise TypeError(f"RecordList supports str, int, float and None fields, not {hint}")
    return kinds


def _checked(name: str, value: Any, kinds: tuple[type | None, ...]) -> Any:
    if value is None and None in kinds:
        return None
    if isinstance(value, bool):  # a bool is an int to Python, never a number here
        raise ValueError(f"{name}: a bool where {kinds} belongs")
    if str in kinds and isinstance(value, str):
        return value
    if int in kinds and type(value) is int:
        return value
    if float in kinds and isinstance(value, int | float):
        return float(value)
    raise ValueError(f"{name}: {type(value).__name__} where {kinds} belongs")


@dataclass(slots=True)
class TtlCounters:
    hits: int = 0
    disk_hits: int = 0
    misses: int = 0
    discarded: int = 0  # unreadable or wrong-shape disk entries, removed


class TtlCache(Generic[T]):
    """``get(key, now_ms)`` / ``put(key, value, now_ms, ttl_ms)``; memory first, then ``directory``."""

    def __init__(self, directory: Path | None, codec: Codec[T] | None = None) -> None:
        self.directory = directory
        self.codec: Codec[Any] = codec if codec is not None else PlainJson()
        self.counters = TtlCounters()
        self._memory: dict[str, tuple[int, T]] = {}

    def get(self, key: str, now_ms: int) -> T | None:
        entry = self._memory.get(key)
        if entry is None and self.directory is not None:
            entry = self._read(key)
            if entry is not None and entry[0] > now_ms:
                self._memory[key] = entry
                self.counters.disk_hits += 1
        if entry is not None and entry[0] > now_ms:
            self.counters.hits += 1
            return entry[1]
        self.counters.misses += 1
        return None

    def put(self, key: str, value: T, now_ms: int, ttl_ms: int) -> None:
        entry = (now_ms + ttl_ms, value)
        self._memory[key] = entry
        if self.directory is None:
            return
        payload = {"format": FORMAT, "key": key, "expires_ms": entry[0], "value": self.codec.encode(value)}
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, separators=(",", ":"))
        os.replace(name, self._path(key))

    def _read(self, key: str) -> tuple[int, T] | None:
        """The disk entry of ``key``; None when absent, or when unreadable or of the wrong shape (then removed)."""
        path = self._path(key)
        try:
            data = json.loads(path.read_bytes())
            if not isinstance(data, dict) or data.keys() != _ENTRY_KEYS:
                raise ValueError("not a cache entry")
            if data["format"] != FORMAT or data["key"] != key:
                raise ValueError(f"entry of {data['format']!r}/{str(data['key'])[:40]!r}, not of this cache's key")
            expires = data["expires_ms"]
            if type(expires) is not int:
                raise ValueError(f"expires_ms is {type(expires).__name__}")
            return expires, self.codec.decode(data["value"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError too
            log.warning("cache entry %s discarded (%s)", path, str(exc)[:200])
            self.counters.discarded += 1
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")
