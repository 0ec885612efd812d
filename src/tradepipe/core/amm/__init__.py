"""Constant-product AMM math (x · y = k) shared by sniper sizing, slippage guards and the DEX executor."""

from __future__ import annotations


def amount_out(amount_in: float, reserve_in: float, reserve_out: float, fee_bps: float) -> float:
    """Tokens out for ``amount_in`` tokens in, after the pool's fee (Uniswap v2 / Raydium formula)."""
    if amount_in <= 0 or reserve_in <= 0 or reserve_out <= 0:
        return 0.0
    effective_in = amount_in * (1.0 - fee_bps / 10_000.0)
    return reserve_out * effective_in / (reserve_in + effective_in)


def amount_in_for(amount_out_wanted: float, reserve_in: float, reserve_out: float, fee_bps: float) -> float:
    """Tokens in needed to receive exactly ``amount_out_wanted``; ``inf`` if the pool cannot pay it."""
    if amount_out_wanted <= 0:
        return 0.0
    if amount_out_wanted >= reserve_out:
        return float("inf")
    effective_in = reserve_in * amount_out_wanted / (reserve_out - amount_out_wanted)
    return effective_in / (1.0 - fee_bps / 10_000.0)


def price_impact_bps(amount_in: float, reserve_in: float, reserve_out: float, fee_bps: float) -> float:
    """Execution price vs the pool's spot price before the trade, in bps (fee included), ≥ 0."""
    out = amount_out(amount_in, reserve_in, reserve_out, fee_bps)
    if out <= 0:
        return float("inf") if amount_in > 0 else 0.0
    spot = reserve_out / reserve_in  # out per in
    executed = out / amount_in
    return max(0.0, (1.0 - executed / spot) * 10_000.0)


def max_in_for_impact(max_impact_bps: float, reserve_in: float, fee_bps: float) -> float:
    """Largest ``amount_in`` whose price impact stays within ``max_impact_bps`` (closed form; fee counted)."""
    keep = 1.0 - max_impact_bps / 10_000.0  # executed/spot must be ≥ keep
    fee_keep = 1.0 - fee_bps / 10_000.0
    if keep <= 0:
        return float("inf")
    if fee_keep < keep:
        return 0.0
    # executed/spot = fee_keep·r / (r + fee_keep·a) ≥ keep  ⇔  a ≤ r·(fee_keep/keep − 1)/fee_keep
    return reserve_in * (fee_keep / keep - 1.0) / fee_keep
