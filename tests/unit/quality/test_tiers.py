"""How the GX tier's outcome joins the polars tier's reports (constructed outcomes; the real GX run is in
tests/integration/test_gx_quality.py)."""

from __future__ import annotations

from tradepipe.core.quality import ExpectationOutcome, QualityRules, SuiteOutcome, judge, second_opinion, tier_agreement
from tradepipe.domain.quality import QualityIssue, Verdict

RULES = QualityRules()


def suite(*outcomes: ExpectationOutcome, error: str = "") -> SuiteOutcome:
    return SuiteOutcome("ohlcv", "run-1", 100, 0.1, outcomes, error=error)


def failed(pairs: tuple[tuple[str, str], ...], *, table_level: bool = False) -> ExpectationOutcome:
    return ExpectationOutcome(
        "expect_column_values_to_not_be_null", "close", "nan_values", False, 1, pairs, table_level
    )


def test_gx_failure_on_a_symbol_the_polars_tier_passed_quarantines_it() -> None:
    clean = judge("v", "A", [], RULES)
    merged = second_opinion([clean], suite(failed((("v", "A"),))), RULES)
    assert merged[0].verdict is Verdict.QUARANTINE
    assert [(i.check, i.detail) for i in merged[0].issues] == [
        ("gx_expectation", "GX failed expect_column_values_to_not_be_null(close)")
    ]


def test_where_both_tiers_fail_the_polars_check_stands_alone() -> None:
    bad = judge("v", "A", [QualityIssue("nan_values", "1 bars")], RULES)
    merged = second_opinion([bad], suite(failed((("v", "A"),))), RULES)
    assert merged == [bad]
    assert tier_agreement(merged, suite(failed((("v", "A"),)))) == {
        "both_failed": 1,
        "polars_only": 0,
        "gx_only": 0,
        "both_passed": 0,
    }


def test_a_warned_symbol_failed_by_gx_is_quarantined() -> None:
    warned = judge("v", "A", [QualityIssue("spike", "2 returns")], RULES)
    merged = second_opinion([warned], suite(failed((("v", "A"),))), RULES)
    assert [i.check for i in merged[0].issues] == ["spike", "gx_expectation"]
    assert merged[0].verdict is Verdict.QUARANTINE


def test_a_table_level_failure_counts_against_every_symbol() -> None:
    reports = [judge("v", s, [], RULES) for s in ("A", "B")]
    merged = second_opinion(reports, suite(failed((), table_level=True)), RULES)
    assert all(r.verdict is Verdict.QUARANTINE for r in merged)


def test_a_gx_error_or_success_changes_nothing() -> None:
    reports = [judge("v", "A", [], RULES)]
    assert second_opinion(reports, suite(error="boom"), RULES) == reports
    ok = ExpectationOutcome("expect_column_values_to_not_be_null", "close", "nan_values", True, 0)
    assert second_opinion(reports, suite(ok), RULES) == reports
    assert suite(ok).success and not suite(error="boom").success
    assert tier_agreement(reports, suite(ok))["both_passed"] == 1
