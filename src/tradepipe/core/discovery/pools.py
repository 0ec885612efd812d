"""New DEX pools → candidates: the ``PoolFeed`` protocol and the ``PoolWatcher``.

A feed reports pools created within a look-back window as ``PoolFacts`` (reserves, holder concentration, age,
authorities, honeypot/rug flags). The watcher remembers which pools it has seen, keeps the new ones, ranks them
by a liquidity score and marks the risk facts sniper rules act on; it judges nothing itself (``core.risk.sniper``
does), so a rugged or honeypot pool stays visible as a flagged candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from tradepipe.domain.pools import PoolFacts

CONCENTRATED_TOP10_PCT = 50.0
THIN_LIQUIDITY_QUOTE = 10_000.0


class PoolFeed(Protocol):
    name: str

    def pools(self, max_age_s: float) -> list[PoolFacts]:
        """Pools created within ``max_age_s`` before the feed's now, as they are now."""
        ...


@dataclass(frozen=True, slots=True)
class PoolCandidate:
    facts: PoolFacts
    score: float  # 0 for a pool that cannot be traded (rugged, honeypot)
    flags: tuple[str, ...]  # risk facts: rugged, honeypot, mint_authority, freeze_authority, concentrated, thin
    first_seen_ms: int


def risk_flags(pool: PoolFacts) -> tuple[str, ...]:
    flags = [
        ("rugged", pool.rugged),
        ("honeypot", pool.honeypot),
        ("mint_authority", not pool.mint_authority_revoked),
        ("freeze_authority", not pool.freeze_authority_revoked),
        ("concentrated", pool.top10_holder_pct > CONCENTRATED_TOP10_PCT),
        ("thin", pool.liquidity_quote < THIN_LIQUIDITY_QUOTE),
    ]
    return tuple(name for name, raised in flags if raised)


def pool_score(pool: PoolFacts) -> float:
    """Liquidity-adjusted score: log10 liquidity, discounted by holder concentration; 0 when untradeable."""
    if pool.rugged or pool.honeypot or pool.liquidity_quote <= 0:
        return 0.0
    spread_out = 1.0 - min(max(pool.top10_holder_pct, 0.0), 100.0) / 100.0
    activity = 1.0 + math.log10(1.0 + pool.volume_24h_quote / max(pool.liquidity_quote, 1.0))
    return math.log10(1.0 + pool.liquidity_quote) * (0.25 + 0.75 * spread_out) * activity


class PoolWatcher:
    """Turns a feed's pools into ranked candidates; remembers first sightings across polls."""

    def __init__(self, feed: PoolFeed, *, max_age_s: float, max_candidates: int) -> None:
        self.feed = feed
        self.max_age_s = max_age_s
        self.max_candidates = max_candidates
        self.first_seen: dict[str, int] = {}

    def poll(self) -> list[PoolCandidate]:
        """Every pool younger than ``max_age_s``, best score first (ties by pool id), at most ``max_candidates``."""
        candidates: list[PoolCandidate] = []
        for pool in self.feed.pools(self.max_age_s):
            seen = self.first_seen.setdefault(pool.pool_id, pool.observed_at_ms)
            candidates.append(PoolCandidate(pool, pool_score(pool), risk_flags(pool), seen))
        candidates.sort(key=lambda c: (-c.score, c.facts.pool_id))
        return candidates[: self.max_candidates]

    def new_since(self, candidates: list[PoolCandidate], since_ms: int) -> list[PoolCandidate]:
        """The candidates first seen at or after ``since_ms``."""
        return [c for c in candidates if c.first_seen_ms >= since_ms]
