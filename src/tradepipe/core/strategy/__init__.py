"""Stage 4, evaluate: indicators, regime, router, strategies, scoring and candidate filters."""

from tradepipe.core.strategy.cache import EvaluationCache, MemoryCache
from tradepipe.core.strategy.engine import DEFAULT_ROUTES, EngineSpec, SymbolCandles, evaluate_symbols
from tradepipe.core.strategy.evaluate import EvaluationJob, error_decision, evaluate_batch, evaluate_job
from tradepipe.core.strategy.filters import FILTERS, FilterContext, apply_filters, register_filter
from tradepipe.core.strategy.indicator_set import IndicatorSpec
from tradepipe.core.strategy.regime import CLASSIFIERS, Regime, RegimeCall, RuleClassifier, register_classifier
from tradepipe.core.strategy.routing import Router, Scorer
from tradepipe.core.strategy.strategies import STRATEGIES, register_strategy

DEFAULT_SPEC = EngineSpec()

__all__ = [
    "CLASSIFIERS",
    "DEFAULT_ROUTES",
    "DEFAULT_SPEC",
    "FILTERS",
    "STRATEGIES",
    "EngineSpec",
    "EvaluationCache",
    "EvaluationJob",
    "FilterContext",
    "IndicatorSpec",
    "MemoryCache",
    "Regime",
    "RegimeCall",
    "Router",
    "RuleClassifier",
    "Scorer",
    "SymbolCandles",
    "apply_filters",
    "error_decision",
    "evaluate_batch",
    "evaluate_job",
    "evaluate_symbols",
    "register_classifier",
    "register_filter",
    "register_strategy",
]
