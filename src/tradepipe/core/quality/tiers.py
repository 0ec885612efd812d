"""The second tier's result (a Great Expectations suite run) as plain values, and how it joins the first tier.

The GX adapter returns a ``SuiteOutcome``; ``second_opinion`` folds it into the polars tier's reports: a symbol
the polars tier let through (pass or warn) but an expectation failed gets a ``gx_expectation`` issue (and is
quarantined by its weight). Where both tiers fail a symbol the polars issue stands alone, so a report names
the precise check; the agreement is counted in the HTML report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tradepipe.core.quality.score import CHECK_WEIGHTS, QualityRules, judge
from tradepipe.domain.quality import QualityIssue, QualityReport, Verdict


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    expectation: str  # the GX expectation type, e.g. "expect_column_values_to_not_be_null"
    target: str  # the column(s) it looks at, e.g. "close" or "high ≥ low"
    mirrors: str  # the polars check it mirrors (documentation and the report)
    success: bool
    unexpected: int  # rows that failed (0 for a table-level expectation)
    pairs: tuple[tuple[str, str], ...] = ()  # (venue, symbol) with failed rows
    table_level: bool = False  # a failure concerns every symbol of the batch


@dataclass(frozen=True, slots=True)
class SuiteOutcome:
    kind: str  # ohlcv | order_book | pool_facts
    run_name: str
    rows: int
    seconds: float
    outcomes: tuple[ExpectationOutcome, ...] = ()
    error: str = ""  # GX could not run: the polars verdicts stand alone
    data_docs: str = ""  # file:// URL of the Data Docs index

    @property
    def success(self) -> bool:
        return not self.error and all(o.success for o in self.outcomes)

    @property
    def failed(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.success)


def gx_findings(suite: SuiteOutcome, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Failed expectations per (venue, symbol): a table-level failure counts against every pair."""
    found: dict[tuple[str, str], list[str]] = {}
    for outcome in suite.failed:
        hit = pairs if outcome.table_level else outcome.pairs
        for pair in hit:
            found.setdefault(pair, []).append(f"{outcome.expectation}({outcome.target})")
    return found


def second_opinion(reports: Sequence[QualityReport], suite: SuiteOutcome, rules: QualityRules) -> list[QualityReport]:
    """The reports with ``gx_expectation`` added where GX failed a symbol the polars tier did not quarantine."""
    findings = gx_findings(suite, [(r.venue, r.symbol) for r in reports])
    merged = []
    for report in reports:
        failed = findings.get((report.venue, report.symbol))
        if failed and report.verdict is not Verdict.QUARANTINE:
            issue = QualityIssue("gx_expectation", "GX failed " + ", ".join(sorted(set(failed))))
            report = judge(report.venue, report.symbol, (*report.issues, issue), rules)
        merged.append(report)
    return merged


def tier_agreement(reports: Sequence[QualityReport], suite: SuiteOutcome) -> dict[str, int]:
    """How the tiers compare per symbol on integrity (weight-1 checks): both failed, only one, neither."""
    findings = gx_findings(suite, [(r.venue, r.symbol) for r in reports])
    counts = {"both_failed": 0, "polars_only": 0, "gx_only": 0, "both_passed": 0}
    for report in reports:
        gx_failed = (report.venue, report.symbol) in findings
        polars_failed = any(i.check != "gx_expectation" and CHECK_WEIGHTS[i.check] >= 1.0 for i in report.issues)
        key = {
            (True, True): "both_failed",
            (True, False): "polars_only",
            (False, True): "gx_only",
            (False, False): "both_passed",
        }[(polars_failed, gx_failed)]
        counts[key] += 1
    return counts
