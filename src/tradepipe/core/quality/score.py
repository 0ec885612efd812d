"""The quality score and the verdict: a documented weighted combination of the failed checks.

``score = max(0, 1 − Σ CHECK_WEIGHTS[c] for each distinct failed check c)``, a number in [0, 1].

* **pass** when ``score ≥ rules.pass_score`` (default 0.9): trades at full size;
* **warn** when ``rules.warn_score ≤ score < rules.pass_score`` (default 0.5): trades, sized by the score
  (the score is passed to risk as a quality factor);
* **quarantine** below ``rules.warn_score``: removed from evaluation and from new entries.

Integrity checks weigh 1.0, so any one of them gives score 0 and quarantines on its own; the soft checks
(spike, zero-volume run, consensus disagreement, short history) weigh less, so one of them warns and two or
more quarantine (with the default thresholds).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tradepipe.domain.quality import QualityIssue, QualityReport, Verdict

CHECK_WEIGHTS: dict[str, float] = {
    # integrity: the data is wrong, a strategy must not see it
    "missing_data": 1.0,  # the venue returned nothing / the fetch failed
    "corrupt_file": 1.0,  # a batch or history file is unreadable, has the wrong schema or the wrong content hash
    "nan_values": 1.0,  # NaN, null or ±inf in a price or the volume
    "non_positive_price": 1.0,
    "ohlc_inconsistent": 1.0,  # low ≤ open, close ≤ high fails
    "negative_volume": 1.0,
    "duplicate_or_unordered": 1.0,  # a timestamp repeats or goes backwards
    "gap": 1.0,  # a bar is missing inside the window
    "stale": 1.0,  # the last candle is older than ``stale_bars``
    "gx_expectation": 1.0,  # the Great Expectations tier failed a symbol the polars tier passed
    # plausibility: the data may be right but is suspicious; trade smaller
    "spike": 0.4,  # a return whose robust z-score (median/MAD) exceeds ``spike_z``
    "zero_volume_run": 0.3,  # ``zero_volume_bars`` or more consecutive bars without volume
    "consensus_disagreement": 0.3,  # the fetch stage saw sources disagree on this symbol's candles
    "short_history": 0.3,  # completeness: fewer bars than the strategy needs
}


@dataclass(frozen=True, slots=True)
class QualityRules:
    """Thresholds of the polars checks and of the verdict (``[quality]`` in the config)."""

    stale_bars: int = 2
    min_bars: int = 50
    spike_z: float = 25.0
    zero_volume_bars: int = 3
    pass_score: float = 0.9
    warn_score: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.warn_score <= self.pass_score <= 1.0:
            raise ValueError(
                f"quality thresholds need 0 < warn_score ≤ pass_score ≤ 1, got {self.warn_score}, {self.pass_score}"
            )


def score_of(checks: Iterable[str]) -> float:
    """``max(0, 1 − Σ weight)`` over the distinct failed checks."""
    return max(0.0, 1.0 - sum(CHECK_WEIGHTS[c] for c in set(checks)))


def verdict_of(score: float, rules: QualityRules) -> Verdict:
    if score >= rules.pass_score:
        return Verdict.PASS
    if score >= rules.warn_score:
        return Verdict.WARN
    return Verdict.QUARANTINE


def judge(venue: str, symbol: str, issues: Iterable[QualityIssue], rules: QualityRules) -> QualityReport:
    """A report from the failed checks: score and verdict by the formula above."""
    found = tuple(issues)
    unknown = {i.check for i in found} - CHECK_WEIGHTS.keys()
    if unknown:
        raise ValueError(f"unknown quality check(s) {sorted(unknown)}; known: {sorted(CHECK_WEIGHTS)}")
    score = score_of(i.check for i in found)
    return QualityReport(venue, symbol, score, verdict_of(score, rules), found)


def missing_report(venue: str, symbol: str, reason: str, rules: QualityRules | None = None) -> QualityReport:
    return judge(venue, symbol, [QualityIssue("missing_data", reason)], rules or QualityRules())


def corrupt_report(venue: str, symbol: str, reason: str, rules: QualityRules | None = None) -> QualityReport:
    return judge(venue, symbol, [QualityIssue("corrupt_file", reason)], rules or QualityRules())
