"""Our single-file HTML report renders offline; the markdown artifact lists the worst symbols first."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tradepipe.core.quality import ExpectationOutcome, QualityRules, SuiteOutcome, judge
from tradepipe.core.quality.html import render_html
from tradepipe.core.quality.report import GateSummary, QuarantineView, render_worst_markdown, worst
from tradepipe.domain.quality import QualityIssue

RULES = QualityRules()
REPORTS = (
    judge("sim-alpha", "GOOD/USDT", [], RULES),
    judge("sim-alpha", "SPIKY/USDT", [QualityIssue("spike", "2 returns with robust z > 25 (max 90.1)")], RULES),
    judge("sim-beta", "BAD/USDT", [QualityIssue("nan_values", "1 bars with NaN | null")], RULES),
    judge("sim-beta", "<script>/USDT", [QualityIssue("gap", "1 gaps")], RULES),
)
SUITE = SuiteOutcome(
    "ohlcv",
    "run-1",
    1200,
    0.42,
    (
        ExpectationOutcome(
            "expect_column_values_to_not_be_null", "close", "nan_values", False, 1, (("sim-beta", "BAD/USDT"),)
        ),
        ExpectationOutcome(
            "expect_column_pair_values_a_to_be_greater_than_b", "high ≥ low", "ohlc_inconsistent", True, 0
        ),
    ),
    data_docs="file:///state/quality/gx/uncommitted/data_docs/local_site/index.html",
)
SUMMARY = GateSummary(
    run_id="run-1",
    as_of="2026-01-26 01:00 UTC",
    reports=REPORTS,
    rules=RULES,
    rows=1200,
    polars_seconds=0.01,
    suite=SUITE,
    quarantine=(QuarantineView("sim-beta", "BAD/USDT", "nan_values", "1 bars", "2026-11-25 17:00", 1),),
    release_after=3,
)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("href", "src")]


def test_html_is_one_self_contained_page() -> None:
    page = render_html(SUMMARY)
    parser = _Collector()
    parser.feed(page)
    assert "style" in parser.tags
    assert not {"script", "link", "img", "iframe"} & set(parser.tags)  # nothing to fetch, nothing to run
    assert parser.urls == [SUITE.data_docs]  # the only link: GX Data Docs on the local disk
    assert not re.search(r"https?://", page)


def test_html_shows_counts_worst_symbols_quarantine_gx_and_formula() -> None:
    page = render_html(SUMMARY)
    assert "&lt;script&gt;/USDT" in page  # symbols are escaped
    assert page.index("BAD/USDT") < page.index("SPIKY/USDT")  # worst first
    assert "1/3" in page  # clean-cycle progress of the open quarantine entry
    assert "expect_column_values_to_not_be_null" in page and "failed" in page
    assert "score = max(0, 1 − Σ weight(failed check))" in page
    assert "both failed 1" in page


def test_worst_lists_flagged_symbols_by_score_then_findings() -> None:
    assert [r.symbol for r in worst(REPORTS, 10)] == ["<script>/USDT", "BAD/USDT", "SPIKY/USDT"]
    assert [r.symbol for r in worst(REPORTS, 1)] == ["<script>/USDT"]


def test_markdown_table_escapes_pipes_and_states_counts() -> None:
    text = render_worst_markdown(SUMMARY, 10)
    assert "4 symbols, 1 pass, 1 warn, 2 quarantine; 1 blocked; GX tier **failed**" in text
    assert "| sim-beta | BAD/USDT | 0.00 | quarantine | nan_values: 1 bars with NaN \\| null |" in text
    clean = GateSummary("run-2", "t", (REPORTS[0],), RULES)
    assert "Every symbol passed every check." in render_worst_markdown(clean, 10)
    assert "GX tier **off**" in render_worst_markdown(clean, 10)


def test_gx_status_combines_the_candle_and_pool_suites() -> None:
    pools_ok = SuiteOutcome("pool_facts", "run-1", 20, 0.3)
    pools_error = SuiteOutcome("pool_facts", "run-1", 20, 0.0, error="boom")
    ok = SuiteOutcome("ohlcv", "run-1", 100, 0.2)
    assert GateSummary("r", "t", (), RULES).gx_status == "off"
    assert GateSummary("r", "t", (), RULES, suite=ok, pool_suite=pools_ok).gx_status == "passed"
    assert GateSummary("r", "t", (), RULES, suite=SUITE, pool_suite=pools_ok).gx_status == "failed"
    assert GateSummary("r", "t", (), RULES, suite=ok, pool_suite=pools_error).gx_status == "error"
    page = render_html(GateSummary("r", "t", (), RULES, suite=ok, pool_suite=pools_error))
    assert "error · 0.20 s" in page and "GX could not run: <code>boom</code>" in page
