"""Sniper rules for new DEX pools: pure checks over ``PoolFacts`` and ``[sniper]``, with their own small budget.

``snipe`` returns the quote amount to spend (the smallest of the per-pool cap, the budget left, the share of
the pool's liquidity and the largest trade within the price-impact limit on the AMM curve) or a denial.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tradepipe.config.sections import SniperSection
from tradepipe.core import amm
from tradepipe.domain.pools import PoolFacts
from tradepipe.domain.strategy import Denial


@dataclass(frozen=True, slots=True)
class SnipeApproval:
    pool: PoolFacts
    quote_in: float  # quote tokens to swap in
    expected_base_out: float
    price_impact_bps: float
    bound_by: str  # which cap set the size


def _flags(pool: PoolFacts, cfg: SniperSection) -> Denial | None:
    if pool.rugged:
        return Denial("sniper_rug", "liquidity was pulled from the pool")
    if pool.honeypot:
        return Denial("sniper_honeypot", "sells from the pool fail")
    if cfg.require_mint_revoked and not pool.mint_authority_revoked:
        return Denial("sniper_mint_authority", "the token's mint authority is not revoked")
    if cfg.require_freeze_revoked and not pool.freeze_authority_revoked:
        return Denial("sniper_freeze_authority", "the token's freeze authority is not revoked")
    return None


def _thresholds(pool: PoolFacts, cfg: SniperSection) -> Denial | None:
    if not (pool.base_reserve > 0 and pool.quote_reserve > 0):
        return Denial("sniper_liquidity", "the pool has an empty reserve")
    if pool.liquidity_quote < cfg.min_liquidity_quote:
        return Denial(
            "sniper_liquidity", f"liquidity {pool.liquidity_quote:,.0f} < {cfg.min_liquidity_quote:,.0f} quote"
        )
    if pool.age_s < cfg.min_age_s:
        return Denial("sniper_age", f"pool age {pool.age_s:.0f} s < {cfg.min_age_s:.0f} s")
    if pool.top10_holder_pct > cfg.max_top10_holder_pct:
        return Denial(
            "sniper_concentration", f"top-10 holders own {pool.top10_holder_pct:.1f}% > {cfg.max_top10_holder_pct}%"
        )
    return None


POOL_RULES: tuple[Callable[[PoolFacts, SniperSection], Denial | None], ...] = (_flags, _thresholds)


def snipe(pool: PoolFacts, cfg: SniperSection, *, budget_used: float = 0.0) -> SnipeApproval | Denial:
    """Judge one pool; approve the largest quote amount every cap allows, or deny with the first failing rule."""
    for rule in POOL_RULES:
        if (denial := rule(pool, cfg)) is not None:
            return denial
    caps = {
        "max_per_pool": cfg.max_per_pool_quote,
        "budget": max(0.0, cfg.budget_quote - budget_used),
        "pool_share": pool.liquidity_quote * cfg.max_pool_share_pct / 100.0,
        "price_impact": amm.max_in_for_impact(cfg.max_price_impact_bps, pool.quote_reserve, pool.fee_bps),
    }
    bound_by = min(caps, key=caps.__getitem__)
    quote_in = caps[bound_by]
    if quote_in <= 0:
        detail = {"budget": f"sniper budget {cfg.budget_quote:,.2f} used up"}.get(bound_by, f"{bound_by} allows 0")
        return Denial(f"sniper_{bound_by}", detail)
    return SnipeApproval(
        pool=pool,
        quote_in=quote_in,
        expected_base_out=amm.amount_out(quote_in, pool.quote_reserve, pool.base_reserve, pool.fee_bps),
        price_impact_bps=amm.price_impact_bps(quote_in, pool.quote_reserve, pool.base_reserve, pool.fee_bps),
        bound_by=bound_by,
    )


def plan_snipes(
    pools: Sequence[PoolFacts], cfg: SniperSection, *, budget_used: float = 0.0
) -> tuple[list[SnipeApproval], list[tuple[PoolFacts, Denial]]]:
    """Judge pools in order (deepest liquidity first) against one shared budget."""
    approved: list[SnipeApproval] = []
    denied: list[tuple[PoolFacts, Denial]] = []
    used = budget_used
    for pool in sorted(pools, key=lambda p: (-p.liquidity_quote, p.pool_id)):
        result = snipe(pool, cfg, budget_used=used)
        if isinstance(result, Denial):
            denied.append((pool, result))
        else:
            approved.append(result)
            used += result.quote_in
    return approved, denied
