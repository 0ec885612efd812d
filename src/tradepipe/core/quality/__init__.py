"""Stage 3: the data-quality gate. No candle reaches a strategy without passing it."""

from tradepipe.core.quality.checks import assess_frame, schema_problem
from tradepipe.core.quality.score import (
    CHECK_WEIGHTS,
    QualityRules,
    corrupt_report,
    judge,
    missing_report,
    score_of,
    verdict_of,
)
from tradepipe.core.quality.tiers import ExpectationOutcome, SuiteOutcome, second_opinion, tier_agreement

__all__ = [
    "CHECK_WEIGHTS",
    "ExpectationOutcome",
    "QualityRules",
    "SuiteOutcome",
    "assess_frame",
    "corrupt_report",
    "judge",
    "missing_report",
    "schema_problem",
    "score_of",
    "second_opinion",
    "tier_agreement",
    "verdict_of",
]
