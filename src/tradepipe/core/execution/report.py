"""What one execution pass did, order by order (the cycle report counts these)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(slots=True)
class ExecutionReport:
    placed: list[str] = field(default_factory=list)  # the venue acknowledged it
    filled: list[str] = field(default_factory=list)  # ... and it has fills
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (client id, the venue's reason)
    unknown: list[str] = field(default_factory=list)  # outcome unknown after the send: left for recovery
    skipped_duplicates: list[str] = field(default_factory=list)  # the intent was already committed earlier
    recovered: list[str] = field(default_factory=list)  # an earlier unknown/open order resolved by lookup
    abandoned: list[str] = field(default_factory=list)  # the venue never took it (lookup found nothing)
    deferred: list[str] = field(default_factory=list)  # rate limited at least once (sent again later)
    denied: list[tuple[str, str]] = field(default_factory=list)  # slippage guard / rate-limit give-up
    resized: list[tuple[str, str]] = field(default_factory=list)  # (rejected id, re-sized id)
    routed: list[tuple[str, str]] = field(default_factory=list)  # (client id, why this venue)
    canceled: list[str] = field(default_factory=list)
    armed: list[str] = field(default_factory=list)  # emulated stops held locally
    new_fills: int = 0

    def merge(self, other: ExecutionReport) -> ExecutionReport:
        for f in dataclasses.fields(self):
            value = getattr(other, f.name)
            if isinstance(value, list):
                getattr(self, f.name).extend(value)
        self.new_fills += other.new_fills
        return self
