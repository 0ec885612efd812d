"""DEX pool facts: what a pool feed reports about a (new) constant-product pool and what sniper rules judge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PoolFacts:
    """One AMM pool as a pool feed saw it at ``observed_at_ms``.

    Reserves are in token units (floats: analytics side; the ledger converts at its boundary). ``liquidity_quote``
    is the pool's total value in the quote token (2 × quote reserve for a constant-product pool).
    """

    venue: str  # e.g. "sim-sol" or the feed's DEX name
    pool_id: str
    symbol: str  # "BASE/QUOTE"
    base_mint: str
    quote_mint: str
    base_reserve: float
    quote_reserve: float
    fee_bps: float
    created_at_ms: int
    observed_at_ms: int
    top10_holder_pct: float  # share of supply held by the 10 largest holders, 0..100
    mint_authority_revoked: bool = True
    freeze_authority_revoked: bool = True
    honeypot: bool = False  # sells fail / blocked
    rugged: bool = False  # liquidity pulled
    volume_24h_quote: float = 0.0

    @property
    def price(self) -> float:
        return self.quote_reserve / self.base_reserve if self.base_reserve > 0 else 0.0

    @property
    def liquidity_quote(self) -> float:
        return 2.0 * self.quote_reserve

    @property
    def age_s(self) -> float:
        return max(0.0, (self.observed_at_ms - self.created_at_ms) / 1000.0)
