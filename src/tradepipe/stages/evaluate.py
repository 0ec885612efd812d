"""Stage 4: evaluate strategies on Dask (one task per batch, cached), then filter the candidates for risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tradepipe import wiring
from tradepipe.adapters.compute import DirectoryCache, map_batches, shared_client
from tradepipe.adapters.storage.decisions import DecisionStore
from tradepipe.config import Settings
from tradepipe.core.strategy import (
    EngineSpec,
    EvaluationJob,
    FilterContext,
    IndicatorSpec,
    Router,
    Scorer,
    apply_filters,
    evaluate_job,
)
from tradepipe.core.strategy.strategies import STRATEGIES
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.strategy import Decision
from tradepipe.errors import ConfigurationError
from tradepipe.stages.timing import timed_stage


def engine_spec(settings: Settings) -> EngineSpec:
    """The strategy engine's configuration from ``[strategy]``; a bad name or value names its field."""
    s = settings.strategy
    params = {name: dict(table) for name, table in s.params}
    trend = {"min_atr_pct": s.min_atr_pct, "max_atr_pct": s.max_atr_pct} | params.get("trend_following", {})
    params["trend_following"] = trend
    try:
        return EngineSpec(
            indicators=IndicatorSpec(ema_fast=s.fast, ema_slow=s.slow, atr=s.atr_period),
            classifier=s.regime_classifier,
            strategy_params=tuple(sorted((n, tuple(sorted(p.items()))) for n, p in params.items())),
            router=Router.from_config(
                {regime: dict(table) for regime, table in s.routes},
                {name: cls.regimes for name, cls in STRATEGIES.items()},  # type: ignore[attr-defined]
            ),
            scorer=Scorer(agreement_weight=s.agreement_weight, regime_weight=s.regime_weight),
            timeout_s=s.timeout_s,
        )
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


strategy_params = engine_spec  # the name the bench harness and older callers use


def evaluation_cache(settings: Settings) -> DirectoryCache | None:
    return DirectoryCache(str(Path(settings.state_dir) / "cache" / "evaluate")) if settings.strategy.cache else None


def evaluate(
    settings: Settings,
    ctx: CycleContext,
    work: Sequence[tuple[str, tuple[tuple[str, str], ...]]],
    quality: Mapping[tuple[str, str], float] | None = None,
) -> list[Decision]:
    """One Dask task per batch on the process's LocalCluster (kept across cycles) or the cluster at
    dask.address; then the candidate filters. ``quality`` is the gate's score per symbol (default 1)."""
    with timed_stage(settings, ctx, "evaluate"):
        scores = quality or {}
        jobs = [EvaluationJob(path, pairs, tuple(scores.get(p, 1.0) for p in pairs)) for path, pairs in work]
        if not jobs:
            return []
        cfg = settings.dask
        client = shared_client(cfg.address or None, cfg.n_workers, cfg.threads_per_worker)
        cache = evaluation_cache(settings)
        batches = map_batches(client, evaluate_job, jobs, engine_spec(settings), cache)
        if cache is not None:
            cache.prune(settings.strategy.cache_max_age_s)
        return select_candidates(settings, ctx, [d for batch in batches for d in batch])


def select_candidates(settings: Settings, ctx: CycleContext, decisions: Sequence[Decision]) -> list[Decision]:
    """Apply ``strategy.filters`` (min score, cooldown, top-N): held-back LONGs become FLAT with the reason."""
    s = settings.strategy
    recent = {}
    if "cooldown" in s.filters and s.cooldown_cycles > 0:
        recent = DecisionStore(wiring.ledger(settings).engine).recent_entries(ctx.cycle, s.cooldown_cycles)
    context = FilterContext(s.min_score, s.top_n, s.cooldown_cycles, recent)
    try:
        return apply_filters(decisions, s.filters, context)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
