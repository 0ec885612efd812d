"""The identity of one trading cycle, passed to every stage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CycleContext:
    run_id: str
    cycle: int
    as_of_ms: int
