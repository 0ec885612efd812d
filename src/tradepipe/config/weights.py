"""Hashable name -> value tables for frozen settings: TOML tables in, sorted tuples of pairs inside.

Settings are frozen and hashed (``wiring`` caches by them), so a ``dict`` field is not an option; these
types accept a mapping (a TOML table) and store it as a sorted tuple of ``(name, value)`` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator


def _items(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, Mapping) else value


NumberTable = Annotated[tuple[tuple[str, float], ...], BeforeValidator(_items)]
"""``{name = number, ...}`` as sorted ``(name, number)`` pairs."""

NestedTable = Annotated[tuple[tuple[str, NumberTable], ...], BeforeValidator(_items)]
"""``{outer = {name = number}}`` as sorted ``(outer, ((name, number), ...))`` pairs."""
