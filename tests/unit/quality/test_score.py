"""The score formula and the verdict bands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradepipe.core.quality import CHECK_WEIGHTS, QualityRules, judge, missing_report, score_of, verdict_of
from tradepipe.core.quality.score import corrupt_report
from tradepipe.domain.quality import QualityIssue, Verdict

SOFT = [c for c, w in CHECK_WEIGHTS.items() if w < 1.0]
HARD = [c for c, w in CHECK_WEIGHTS.items() if w >= 1.0]


def test_every_weight_is_in_zero_one() -> None:
    assert all(0.0 < w <= 1.0 for w in CHECK_WEIGHTS.values())
    assert {"spike", "zero_volume_run", "consensus_disagreement", "short_history"} == set(SOFT)


@pytest.mark.parametrize("check", HARD)
def test_any_integrity_failure_alone_quarantines_with_score_zero(check: str) -> None:
    report = judge("v", "X/USDT", [QualityIssue(check, "d")], QualityRules())
    assert report.score == 0.0
    assert report.verdict is Verdict.QUARANTINE


@pytest.mark.parametrize("check", SOFT)
def test_one_soft_finding_warns_with_its_weight_off_the_score(check: str) -> None:
    report = judge("v", "X/USDT", [QualityIssue(check, "d")], QualityRules())
    assert report.score == pytest.approx(1.0 - CHECK_WEIGHTS[check])
    assert report.verdict is Verdict.WARN


def test_score_counts_each_check_once_and_floors_at_zero() -> None:
    assert score_of(["spike", "spike"]) == pytest.approx(0.6)
    assert score_of(["spike", "short_history", "zero_volume_run", "consensus_disagreement"]) == 0.0
    assert score_of([]) == 1.0


@pytest.mark.parametrize(
    ("score", "verdict"),
    [(1.0, Verdict.PASS), (0.9, Verdict.PASS), (0.89, Verdict.WARN), (0.5, Verdict.WARN), (0.49, Verdict.QUARANTINE)],
)
def test_verdict_bands_at_their_edges(score: float, verdict: Verdict) -> None:
    assert verdict_of(score, QualityRules(pass_score=0.9, warn_score=0.5)) is verdict


def test_thresholds_move_the_bands() -> None:
    lenient = QualityRules(pass_score=0.7, warn_score=0.2)
    assert judge("v", "X", [QualityIssue("short_history", "d")], lenient).verdict is Verdict.PASS
    strict = QualityRules(pass_score=1.0, warn_score=0.8)
    assert judge("v", "X", [QualityIssue("spike", "d")], strict).verdict is Verdict.QUARANTINE


def test_bad_thresholds_and_unknown_checks_are_refused() -> None:
    with pytest.raises(ValueError, match="warn_score"):
        QualityRules(pass_score=0.5, warn_score=0.6)
    with pytest.raises(ValueError, match="unknown quality check"):
        judge("v", "X", [QualityIssue("made_up", "d")], QualityRules())


def test_missing_and_corrupt_reports_quarantine() -> None:
    for report, check in (
        (missing_report("v", "X", "no candles"), "missing_data"),
        (corrupt_report("v", "X", "bad"), "corrupt_file"),
    ):
        assert report.verdict is Verdict.QUARANTINE and report.score == 0.0
        assert [i.check for i in report.issues] == [check]


@given(
    checks=st.lists(st.sampled_from(sorted(CHECK_WEIGHTS)), max_size=6),
    extra=st.sampled_from(sorted(CHECK_WEIGHTS)),
    warn=st.floats(0.05, 1.0),
    gap=st.floats(0.0, 0.95),
)
def test_more_findings_never_raise_the_score_nor_improve_the_verdict(
    checks: list[str], extra: str, warn: float, gap: float
) -> None:
    rules = QualityRules(pass_score=min(1.0, warn + gap), warn_score=warn)
    rank = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.QUARANTINE: 2}
    before = judge("v", "X", [QualityIssue(c, "d") for c in checks], rules)
    after = judge("v", "X", [QualityIssue(c, "d") for c in [*checks, extra]], rules)
    assert 0.0 <= after.score <= before.score <= 1.0
    assert rank[after.verdict] >= rank[before.verdict]
