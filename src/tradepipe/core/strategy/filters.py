"""Candidate filters: from scored decisions to the candidates handed to risk.

Filters are registered by name and applied in the configured order (``strategy.filters``) to the LONG
decisions still standing. A filter returns the reason it holds a decision back, or None; a held-back
decision becomes FLAT (``action``) with ``filter_reason`` set, so the ``decisions`` table says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from tradepipe.domain.strategy import Decision, Direction


@dataclass(frozen=True, slots=True)
class FilterContext:
    min_score: float = 0.0
    top_n: int = 0  # 0 = no limit
    cooldown_cycles: int = 0
    recent_entries: Mapping[tuple[str, str], int] = field(default_factory=dict)  # pair -> cycles since entry


Filter = Callable[[Sequence[Decision], FilterContext], dict[tuple[str, str], str]]
FILTERS: dict[str, Filter] = {}


def register_filter(name: str) -> Callable[[Filter], Filter]:
    def add(fn: Filter) -> Filter:
        FILTERS[name] = fn
        return fn

    return add


@register_filter("min_score")
def min_score(decisions: Sequence[Decision], ctx: FilterContext) -> dict[tuple[str, str], str]:
    return {
        (d.venue, d.symbol): f"min_score: {d.score:.3f} < {ctx.min_score}" for d in decisions if d.score < ctx.min_score
    }


@register_filter("cooldown")
def cooldown(decisions: Sequence[Decision], ctx: FilterContext) -> dict[tuple[str, str], str]:
    held = {}
    for d in decisions:
        ago = ctx.recent_entries.get((d.venue, d.symbol))
        if ago is not None and ago <= ctx.cooldown_cycles:
            held[(d.venue, d.symbol)] = f"cooldown: entered {ago} cycle(s) ago (cooldown {ctx.cooldown_cycles})"
    return held


@register_filter("top_n")
def top_n(decisions: Sequence[Decision], ctx: FilterContext) -> dict[tuple[str, str], str]:
    if ctx.top_n <= 0:
        return {}
    ranked = sorted(decisions, key=lambda d: (-d.score, d.venue, d.symbol))
    return {(d.venue, d.symbol): f"top_n: rank {i + 1} > {ctx.top_n}" for i, d in enumerate(ranked) if i >= ctx.top_n}


def apply_filters(decisions: Sequence[Decision], names: Sequence[str], ctx: FilterContext) -> list[Decision]:
    """Every decision, in order; LONGs held back by a filter come back FLAT with the first reason."""
    unknown = [n for n in names if n not in FILTERS]
    if unknown:
        raise ValueError(f"strategy.filters: unknown {unknown}; known: {sorted(FILTERS)}")
    held: dict[tuple[str, str], str] = {}
    for name in names:
        standing = [d for d in decisions if d.direction is Direction.LONG and (d.venue, d.symbol) not in held]
        for key, reason in FILTERS[name](standing, ctx).items():
            held.setdefault(key, reason)
    return [
        replace(d, action=Direction.FLAT, filter_reason=held[(d.venue, d.symbol)]) if (d.venue, d.symbol) in held else d
        for d in decisions
    ]
