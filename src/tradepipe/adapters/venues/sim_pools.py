"""A simulated Solana pool feed: new constant-product pools appear every bar, pump, fade, and some rug.

Deterministic per seed: the pools born in bar ``b`` come from an RNG seeded by ``(seed, "pools", b)``; a pool's
state at any time is a pure function of its spec and that time, so every process (and the sim DEX executor,
through ``pool()``) sees the same reserves. Per pool: initial liquidity log-uniform in 2k–500k quote, holder
concentration (top-10 share) 15–95 %, mint/freeze authorities revoked or not, ~8 % honeypots, ~20 % rug pulls
(at a random hour after launch the quote reserve drops by 98 %). The price follows the constant product while a
deterministic pump-and-fade curve moves it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from tradepipe.adapters.venues.sim_market import stable_seed
from tradepipe.clock import Clock
from tradepipe.domain.pools import PoolFacts

HOUR_MS = 3_600_000
QUOTE_SYMBOL = "USDC"
QUOTE_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"  # USDC on Solana
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class PoolSpec:
    pool_id: str
    base: str
    base_mint: str
    created_at_ms: int
    liquidity0: float
    price0: float
    fee_bps: float
    top10_pct: float
    mint_revoked: bool
    freeze_revoked: bool
    honeypot: bool
    rug_at_ms: int | None
    pump: float  # peak log-return of the pump-and-fade curve
    fade_h: float
    turnover: float  # daily volume / liquidity once mature


class SimPoolFeed:
    """See the module docstring."""

    name = "sim-sol"

    def __init__(
        self,
        seed: int,
        clock: Clock,
        *,
        start_ms: int,
        bar_ms: int = HOUR_MS,
        pools_per_bar: float = 3.0,
        honeypot_rate: float = 0.08,
        rug_rate: float = 0.2,
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.start_ms = start_ms
        self.bar_ms = bar_ms
        self.pools_per_bar = pools_per_bar
        self.honeypot_rate = honeypot_rate
        self.rug_rate = rug_rate

    def pools(self, max_age_s: float) -> list[PoolFacts]:
        now = self.clock.now_ms()
        oldest = now - int(max_age_s * 1000)
        first_bar = max(0, (oldest - self.start_ms) // self.bar_ms)
        last_bar = (now - self.start_ms) // self.bar_ms
        out = [
            self.facts(spec, now)
            for bar in range(int(first_bar), int(last_bar) + 1)
            for spec in self.born_in(bar)
            if oldest <= spec.created_at_ms <= now
        ]
        return sorted(out, key=lambda p: (p.created_at_ms, p.pool_id))

    def pool(self, pool_id: str) -> PoolFacts | None:
        """One pool as it is now (for the sim DEX executor); None if unknown or not yet created."""
        try:
            _, bar, index = pool_id.rsplit("-", 2)
            spec = self.born_in(int(bar))[int(index)]
        except (ValueError, IndexError):
            return None
        now = self.clock.now_ms()
        return self.facts(spec, now) if spec.created_at_ms <= now else None

    def born_in(self, bar: int) -> list[PoolSpec]:
        if bar < 0:
            return []
        rng = np.random.default_rng(stable_seed(self.seed, "pools", bar))
        count = int(rng.poisson(self.pools_per_bar))
        return [self._spec(rng, bar, i) for i in range(count)]

    def _spec(self, rng: np.random.Generator, bar: int, index: int) -> PoolSpec:
        pool_id = f"simpool-{bar}-{index}"
        rug = bool(rng.random() < self.rug_rate)
        created = self.start_ms + bar * self.bar_ms + int(rng.integers(0, self.bar_ms))
        return PoolSpec(
            pool_id=pool_id,
            base=_ticker(rng),
            base_mint=_mint(self.seed, pool_id),
            created_at_ms=created,
            liquidity0=float(10 ** rng.uniform(3.3, 5.7)),
            price0=float(10 ** rng.uniform(-6.0, -2.0)),
            fee_bps=float(rng.choice([25.0, 30.0, 100.0])),
            top10_pct=float(rng.uniform(45.0, 95.0) if rug else rng.uniform(15.0, 80.0)),
            mint_revoked=bool(rng.random() < (0.4 if rug else 0.8)),
            freeze_revoked=bool(rng.random() < (0.6 if rug else 0.9)),
            honeypot=bool(rng.random() < self.honeypot_rate),
            rug_at_ms=created + int(rng.uniform(0.5, 12.0) * HOUR_MS) if rug else None,
            pump=float(rng.normal(0.6, 0.8)),
            fade_h=float(rng.uniform(2.0, 24.0)),
            turnover=float(rng.uniform(0.5, 8.0)),
        )

    def facts(self, spec: PoolSpec, now_ms: int) -> PoolFacts:
        age_h = max(0.0, (now_ms - spec.created_at_ms) / HOUR_MS)
        wiggle = (stable_seed(spec.pool_id, now_ms // self.bar_ms) / 2.0**128 - 0.5) * 0.1
        price = spec.price0 * math.exp(spec.pump * (age_h / spec.fade_h) * math.exp(1 - age_h / spec.fade_h) + wiggle)
        k = (spec.liquidity0 / 2) ** 2 / spec.price0  # quote reserve * base reserve at launch
        quote_reserve, base_reserve = math.sqrt(k * price), math.sqrt(k / price)
        rugged = spec.rug_at_ms is not None and now_ms >= spec.rug_at_ms
        if rugged:  # the creator pulled the quote side and dumped
            quote_reserve *= 0.02
            base_reserve *= 50.0
        return PoolFacts(
            venue=self.name,
            pool_id=spec.pool_id,
            symbol=f"{spec.base}/{QUOTE_SYMBOL}",
            base_mint=spec.base_mint,
            quote_mint=QUOTE_MINT,
            base_reserve=base_reserve,
            quote_reserve=quote_reserve,
            fee_bps=spec.fee_bps,
            created_at_ms=spec.created_at_ms,
            observed_at_ms=now_ms,
            top10_holder_pct=spec.top10_pct,
            mint_authority_revoked=spec.mint_revoked,
            freeze_authority_revoked=spec.freeze_revoked,
            honeypot=spec.honeypot,
            rugged=rugged,
            volume_24h_quote=2 * quote_reserve * spec.turnover * min(1.0, age_h / 24.0),
        )


def _ticker(rng: np.random.Generator) -> str:
    return "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), size=int(rng.integers(3, 6))))


def _mint(seed: int, pool_id: str) -> str:
    digest = int.from_bytes(hashlib.sha256(f"{seed}:{pool_id}".encode()).digest(), "big")
    chars: list[str] = []
    while digest and len(chars) < 44:
        digest, rem = divmod(digest, 58)
        chars.append(_B58[rem])
    return "".join(chars)
