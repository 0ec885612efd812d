"""The strategy engine for one batch: indicators -> regime -> router -> strategies -> score, cached.

``EngineSpec`` is the whole configuration (frozen, picklable, shipped to Dask workers); ``evaluate_symbols``
turns the candles of many symbols into one ``Decision`` each. Degradation is per strategy and symbol: a
strategy that raises, returns garbage or overruns ``timeout_s`` is recorded on that symbol's decision as a
signal with ``error`` and left out of the score; the other strategies and symbols carry on. A strategy
that overran is skipped for the rest of its batch (the timeout is measured, not enforced: Python cannot
pre-empt a running call, so one overrun costs at most one call's time per batch).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tradepipe.config.sections import StrategySection
from tradepipe.core.strategy import indicator_set, strategies
from tradepipe.core.strategy.cache import EvaluationCache, data_hash, params_hash
from tradepipe.core.strategy.features import FloatArray, SymbolView
from tradepipe.core.strategy.indicator_set import IndicatorSpec
from tradepipe.core.strategy.regime import Regime, RegimeCall, classifier
from tradepipe.core.strategy.routing import Router, Scorer
from tradepipe.domain.strategy import Decision, Direction, Signal

logger = logging.getLogger(__name__)

DEFAULT_ROUTES: dict[str, dict[str, float]] = {regime: dict(table) for regime, table in StrategySection().routes}
"""The shipped ``[strategy.routes]``: one source for both the config default and ``EngineSpec()``."""


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """Everything that decides a symbol's evaluation; its parts hash into the cache keys."""

    indicators: IndicatorSpec = field(default_factory=IndicatorSpec)
    classifier: str = "rules"
    strategy_params: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # overrides per strategy
    router: Router = field(default_factory=lambda: Router.from_config(DEFAULT_ROUTES))
    scorer: Scorer = field(default_factory=Scorer)
    timeout_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"strategy.timeout_s must be > 0, got {self.timeout_s}")
        classifier(self.classifier)
        overrides = {name: dict(items) for name, items in self.strategy_params}
        routed = {name for _, table in self.router.routes for name, _ in table}
        for name in sorted(routed | set(overrides)):
            strategies.build(name, overrides.get(name))

    @property
    def min_bars(self) -> int:
        return self.indicators.warmup + 1


@dataclass(frozen=True, slots=True)
class SymbolCandles:
    venue: str
    symbol: str
    columns: Mapping[str, FloatArray]  # open, high, low, close, volume (validated, float64)
    timestamp: np.ndarray
    quality: float = 1.0


def _signal_entry(signal: Signal) -> dict[str, Any]:
    return {"direction": signal.direction.value, "confidence": signal.confidence, "reason": signal.reason}


def _signal_from(name: str, entry: Mapping[str, Any]) -> Signal:
    return Signal(name, Direction(entry["direction"]), float(entry["confidence"]), str(entry["reason"]))


class Engine:
    """One batch's engine: built from the spec on the worker, holds the per-batch overrun list."""

    def __init__(self, spec: EngineSpec) -> None:
        self.spec = spec
        self.classifier = classifier(spec.classifier)
        overrides = dict(spec.strategy_params)
        names = {name for _, table in spec.router.routes for name, _ in table} | {n for n, _ in spec.router.suited}
        self.strategies = {name: strategies.build(name, dict(overrides.get(name, ()))) for name in sorted(names)}
        self.keys = {name: f"{name}:{params_hash(repr(s))}" for name, s in self.strategies.items()}
        self.regime_key = f"regime:{params_hash(repr(self.classifier) + repr(spec.indicators))}"
        self.features_key = f"features:{params_hash(repr(spec.indicators))}"
        self.overran: set[str] = set()

    def cached(self, item: SymbolCandles, digest: str, entries: Mapping[str, Any]) -> Decision | None:
        """The decision rebuilt from cache entries, or None unless every part is there."""
        regime, features = entries.get(self.regime_key), entries.get(self.features_key)
        if regime is None or features is None:
            return None
        call = RegimeCall(Regime(regime["regime"]), float(regime["confidence"]), str(regime["reason"]))
        routes = self.spec.router.route(call)
        if any(self.keys[name] not in entries for name, _ in routes):
            return None
        signals = tuple(_signal_from(name, entries[self.keys[name]]) for name, _ in routes)
        metrics = dict(features["metrics"]) | {"cache_hits": float(len(routes))}
        return self._decision(item, digest, call, routes, signals, features, metrics)

    def evaluate(
        self, item: SymbolCandles, view: SymbolView, digest: str, entries: Mapping[str, Any]
    ) -> tuple[Decision, dict[str, Any]]:
        """Classify, route, run (or reuse) each routed strategy and score; return the new cache entries."""
        fresh: dict[str, Any] = {}
        call = self.classifier.classify(view)
        fresh[self.regime_key] = {"regime": call.regime.value, "confidence": call.confidence, "reason": call.reason}
        features = _features(view)
        fresh[self.features_key] = features
        routes = self.spec.router.route(call)
        signals: list[Signal] = []
        hits = 0
        for name, _ in routes:
            key = self.keys[name]
            if key in entries:
                signals.append(_signal_from(name, entries[key]))
                hits += 1
                continue
            signal = self._run(name, view)
            signals.append(signal)
            if signal.error is None:
                fresh[key] = _signal_entry(signal)
        metrics = dict(features["metrics"]) | {"cache_hits": float(hits)}
        return self._decision(item, digest, call, routes, tuple(signals), features, metrics), fresh

    def _run(self, name: str, view: SymbolView) -> Signal:
        if name in self.overran:
            return _failed(name, f"skipped: overran {self.spec.timeout_s}s earlier in this batch")
        started = time.perf_counter()
        try:
            signal = self.strategies[name].evaluate(view)
        except Exception as exc:  # graceful degradation: one strategy's failure never fails the symbol
            logger.warning("strategy %s failed on %s:%s: %s", name, view.venue, view.symbol, exc)
            return _failed(name, f"{type(exc).__name__}: {exc}")
        elapsed = time.perf_counter() - started
        if elapsed > self.spec.timeout_s:
            self.overran.add(name)
            return _failed(name, f"timeout: took {elapsed:.3f}s > {self.spec.timeout_s}s")
        if not isinstance(signal, Signal) or not 0 <= signal.confidence <= 1 or signal.strategy != name:
            return _failed(name, f"invalid signal {signal!r}")
        return signal

    def _decision(
        self,
        item: SymbolCandles,
        digest: str,
        call: RegimeCall,
        routes: tuple[tuple[str, float], ...],
        signals: tuple[Signal, ...],
        features: Mapping[str, Any],
        metrics: dict[str, float],
    ) -> Decision:
        weighted = list(zip(signals, (w for _, w in routes), strict=True))
        confidence, _, _ = self.spec.scorer.score(weighted, call.confidence)  # before the data-quality factor
        score, action, summary = self.spec.scorer.score(weighted, call.confidence, item.quality)
        if not routes:
            summary = f"no strategy routed for regime {call.regime.value} ({call.reason})"
        return Decision(
            venue=item.venue,
            symbol=item.symbol,
            regime=call.regime.value,
            signals=signals,
            score=score,
            confidence=confidence,
            last_price=float(features["last_price"]),
            atr=float(features["atr"]),
            volatility=float(features["volatility"]),
            metrics=metrics,
            regime_confidence=call.confidence,
            routes=routes,
            action=action,
            data_hash=digest,
            reason=summary,
        )


def _failed(name: str, error: str) -> Signal:
    return Signal(name, Direction.FLAT, 0.0, f"error: {error}", error=error)


def _finite_or_zero(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _features(view: SymbolView) -> dict[str, Any]:
    atr = view.at("atr")
    metrics = {name: view.at(name) for name in ("ema_fast", "ema_slow", "rsi", "adx", "zscore", "macd_hist")}
    metrics["atr_pct"] = atr / view.price
    return {
        "last_price": view.price,
        "atr": _finite_or_zero(atr),
        "volatility": _finite_or_zero(view.at("volatility")),
        "metrics": {k: v for k, v in metrics.items() if math.isfinite(v)},
    }


def insufficient(item: SymbolCandles, have: int, need: int) -> Decision:
    close = item.columns["close"]
    return Decision(
        venue=item.venue,
        symbol=item.symbol,
        regime=Regime.UNKNOWN.value,
        signals=(),
        score=0.0,
        last_price=float(close[-1]) if close.size else 0.0,
        atr=0.0,
        volatility=0.0,
        action=Direction.FLAT,
        reason=f"insufficient_bars: have {have}, need {need}",
    )


def evaluate_symbols(
    items: Sequence[SymbolCandles], spec: EngineSpec, cache: EvaluationCache | None = None
) -> list[Decision]:
    """One decision per item, in order: cached ones rebuilt, the rest computed in one indicator pass."""
    engine = Engine(spec)
    decisions: list[Decision | None] = [None] * len(items)
    todo: list[tuple[int, str, dict[str, Any]]] = []
    for index, item in enumerate(items):
        cols = item.columns
        digest = data_hash(item.timestamp, cols["open"], cols["high"], cols["low"], cols["close"], cols["volume"])
        entries = cache.load(item.venue, item.symbol, digest) if cache is not None else {}
        hit = engine.cached(item, digest, entries)
        if hit is not None:
            decisions[index] = hit
        elif cols["close"].size < spec.min_bars:
            decisions[index] = insufficient(item, int(cols["close"].size), spec.min_bars)
        else:
            todo.append((index, digest, entries))
    if todo:
        names = ("open", "high", "low", "close", "volume")
        flat = {n: np.concatenate([items[i].columns[n] for i, _, _ in todo]) for n in names}
        offsets = np.concatenate(([0], np.cumsum([items[i].columns["close"].size for i, _, _ in todo])))
        o, h, lo, c, v = (flat[n] for n in names)
        rows = indicator_set.compute(o, h, lo, c, v, offsets, spec.indicators)
        for k, (index, digest, entries) in enumerate(todo):
            item, a, b = items[index], int(offsets[k]), int(offsets[k + 1])
            view = SymbolView(
                item.venue, item.symbol, o[a:b], h[a:b], lo[a:b], c[a:b], v[a:b], rows[:, a:b], spec.indicators
            )
            decision, fresh = engine.evaluate(item, view, digest, entries)
            decisions[index] = decision
            if cache is not None and fresh:
                cache.save(item.venue, item.symbol, digest, fresh)
    return [d for d in decisions if d is not None]
