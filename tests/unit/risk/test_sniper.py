"""Sniper rules over PoolFacts: each refusal by example, sizing by the AMM curve, the separate budget."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.config import Settings
from tradepipe.config.sections import SniperSection
from tradepipe.core import amm
from tradepipe.core.risk.sniper import SnipeApproval, plan_snipes, snipe
from tradepipe.domain.pools import PoolFacts
from tradepipe.domain.strategy import Denial

NOW = 1_800_000_000_000


def pool(**overrides: object) -> PoolFacts:
    base = PoolFacts(
        venue="sim-sol",
        pool_id="P1",
        symbol="MEME/USDC",
        base_mint="meme",
        quote_mint="usdc",
        base_reserve=1_000_000.0,
        quote_reserve=50_000.0,  # liquidity 100 000
        fee_bps=25.0,
        created_at_ms=NOW - 3_600_000,
        observed_at_ms=NOW,
        top10_holder_pct=30.0,
    )
    return dataclasses.replace(base, **overrides)


def cfg(**overrides: object) -> SniperSection:
    return Settings().sniper.model_copy(update=overrides)


@pytest.mark.parametrize(
    ("facts", "rule", "detail"),
    [
        ({"rugged": True}, "sniper_rug", "liquidity was pulled"),
        ({"honeypot": True}, "sniper_honeypot", "sells from the pool fail"),
        ({"mint_authority_revoked": False}, "sniper_mint_authority", "mint authority"),
        ({"freeze_authority_revoked": False}, "sniper_freeze_authority", "freeze authority"),
        ({"quote_reserve": 5_000.0}, "sniper_liquidity", "liquidity 10,000 < 20,000"),
        ({"base_reserve": 0.0}, "sniper_liquidity", "empty reserve"),
        ({"created_at_ms": NOW - 60_000}, "sniper_age", "pool age 60 s < 300 s"),
        ({"top10_holder_pct": 80.0}, "sniper_concentration", "top-10 holders own 80.0% > 50.0%"),
    ],
)
def test_each_pool_rule_denies_with_its_reason(facts: dict[str, object], rule: str, detail: str) -> None:
    result = snipe(pool(**facts), cfg())
    assert isinstance(result, Denial)
    assert result.rule == rule and detail in result.detail


def test_flags_can_be_relaxed_in_config() -> None:
    relaxed = cfg(require_mint_revoked=False, require_freeze_revoked=False)
    assert isinstance(snipe(pool(mint_authority_revoked=False, freeze_authority_revoked=False), relaxed), SnipeApproval)


def test_a_healthy_pool_gets_the_per_pool_cap_with_its_expected_output() -> None:
    result = snipe(pool(), cfg())
    assert isinstance(result, SnipeApproval)
    assert (result.quote_in, result.bound_by) == (50.0, "max_per_pool")
    assert result.expected_base_out == pytest.approx(amm.amount_out(50.0, 50_000.0, 1_000_000.0, 25.0))
    assert result.price_impact_bps <= cfg().max_price_impact_bps


def test_price_impact_bounds_the_size_on_a_shallow_pool() -> None:
    shallow = pool(quote_reserve=10_000.0, base_reserve=200_000.0)  # liquidity 20 000
    result = snipe(shallow, cfg(max_per_pool_quote=5_000.0, max_pool_share_pct=100.0, max_price_impact_bps=100.0))
    assert isinstance(result, SnipeApproval) and result.bound_by == "price_impact"
    assert result.price_impact_bps == pytest.approx(100.0, rel=1e-9)


def test_pool_share_bounds_the_size() -> None:
    result = snipe(pool(), cfg(max_per_pool_quote=5_000.0, max_pool_share_pct=0.02, max_price_impact_bps=9_000.0))
    assert isinstance(result, SnipeApproval)
    assert (result.bound_by, result.quote_in) == ("pool_share", pytest.approx(20.0))


def test_the_budget_is_shared_and_separate() -> None:
    pools = [pool(pool_id=f"P{i}", quote_reserve=50_000.0 + i) for i in range(6)]
    approved, denied = plan_snipes(pools, cfg(budget_quote=120.0, max_per_pool_quote=50.0))
    assert [a.quote_in for a in approved] == [50.0, 50.0, pytest.approx(20.0)]
    assert [d.rule for _, d in denied] == ["sniper_budget"] * 3
    assert "sniper budget 120.00 used up" in denied[0][1].detail
    assert [a.pool.pool_id for a in approved] == ["P5", "P4", "P3"]  # deepest first


@settings(max_examples=150, deadline=None)
@given(
    quote=st.floats(1.0, 1e7),
    price=st.floats(1e-9, 1e3),
    fee=st.floats(0.0, 100.0),
    used=st.floats(0.0, 300.0),
    age_s=st.floats(0.0, 10_000.0),
    top10=st.floats(0.0, 100.0),
)
def test_an_approval_never_breaks_a_cap(
    quote: float, price: float, fee: float, used: float, age_s: float, top10: float
) -> None:
    facts = pool(
        quote_reserve=quote,
        base_reserve=quote / price,
        fee_bps=fee,
        created_at_ms=NOW - int(age_s * 1000),
        top10_holder_pct=top10,
    )
    c = cfg()
    result = snipe(facts, c, budget_used=used)
    if isinstance(result, Denial):
        return
    assert 0 < result.quote_in <= c.max_per_pool_quote
    assert result.quote_in <= c.budget_quote - used + 1e-9
    assert result.quote_in <= facts.liquidity_quote * c.max_pool_share_pct / 100 * (1 + 1e-12)
    assert result.price_impact_bps <= c.max_price_impact_bps * (1 + 1e-9)
    assert facts.liquidity_quote >= c.min_liquidity_quote and facts.age_s >= c.min_age_s
