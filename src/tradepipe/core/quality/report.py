"""What one gate run found, as values, plus the markdown table of the worst symbols (Prefect artifact).

The single-file HTML page lives in ``html.py``; both render from ``GateSummary``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tradepipe.core.quality.score import QualityRules
from tradepipe.core.quality.tiers import SuiteOutcome, gx_findings
from tradepipe.domain.quality import QualityReport, Verdict


@dataclass(frozen=True, slots=True)
class QuarantineView:
    venue: str
    symbol: str
    check: str
    detail: str
    since: str
    clean_cycles: int


@dataclass(frozen=True, slots=True)
class GateSummary:
    run_id: str
    as_of: str
    reports: tuple[QualityReport, ...]
    rules: QualityRules
    rows: int = 0
    polars_seconds: float = 0.0
    suite: SuiteOutcome | None = None
    pool_suite: SuiteOutcome | None = None  # the GX pool_facts suite on the cycle's new DEX pools
    quarantine: tuple[QuarantineView, ...] = ()
    release_after: int = 1
    released: int = 0
    html_report: str = ""

    def count(self, verdict: Verdict) -> int:
        return sum(r.verdict is verdict for r in self.reports)

    @property
    def suites(self) -> tuple[SuiteOutcome, ...]:
        return tuple(s for s in (self.suite, self.pool_suite) if s is not None)

    @property
    def gx_status(self) -> str:
        """off (no suite ran) | error (one could not run) | failed (an expectation failed) | passed."""
        if not self.suites:
            return "off"
        if any(s.error for s in self.suites):
            return "error"
        return "passed" if all(s.success for s in self.suites) else "failed"

    def rejected_pools(self, pools: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """The (venue, symbol) of pools the pool_facts suite failed (all of them on a table-level failure)."""
        if self.pool_suite is None:
            return ()
        return tuple(sorted(gx_findings(self.pool_suite, pools)))

    def check_counts(self) -> Counter[str]:
        """Symbols failing each check."""
        return Counter(i.check for r in self.reports for i in {i.check: i for i in r.issues}.values())


def worst(reports: Sequence[QualityReport], n: int) -> list[QualityReport]:
    """The ``n`` lowest-scoring symbols that have any finding (ties: more findings first, then by name)."""
    flagged = [r for r in reports if r.issues]
    return sorted(flagged, key=lambda r: (r.score, -len(r.issues), r.venue, r.symbol))[:n]


def render_worst_markdown(summary: GateSummary, n: int) -> str:
    """A markdown table of the worst symbols, with the headline counts above it."""
    lines = [
        f"# Quality gate — `{summary.run_id}`",
        f"Sim time **{summary.as_of}**: {len(summary.reports)} symbols, {summary.count(Verdict.PASS)} pass, "
        f"{summary.count(Verdict.WARN)} warn, {summary.count(Verdict.QUARANTINE)} quarantine; "
        f"{len({(q.venue, q.symbol) for q in summary.quarantine})} blocked; GX tier **{summary.gx_status}**.",
        "",
    ]
    rows = worst(summary.reports, n)
    if not rows:
        return "\n".join([*lines, "Every symbol passed every check."]) + "\n"
    lines += ["| venue | symbol | score | verdict | checks |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.venue} | {r.symbol} | {r.score:.2f} | {r.verdict.value} | "
        + "; ".join(f"{i.check}: {i.detail}".replace("|", "\\|") for i in r.issues)
        + " |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"
