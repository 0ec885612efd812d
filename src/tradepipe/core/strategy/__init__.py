"""Stage 4, evaluate: indicators, the EMA-cross strategy and per-batch evaluation."""

from tradepipe.core.strategy.ema_cross import (
    DEFAULT_PARAMS,
    STRATEGY_NAME,
    StrategyParams,
    classify_regime,
    confidence,
    evaluate_symbol,
)
from tradepipe.core.strategy.evaluate import EvaluationJob, error_decision, evaluate_batch, evaluate_job

__all__ = [
    "DEFAULT_PARAMS",
    "STRATEGY_NAME",
    "EvaluationJob",
    "StrategyParams",
    "classify_regime",
    "confidence",
    "error_decision",
    "evaluate_batch",
    "evaluate_job",
    "evaluate_symbol",
]
