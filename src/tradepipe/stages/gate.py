"""Stage 3: gate data quality; quarantined symbols never reach a strategy."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import marketdata, quality
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.quality import QualityIssue, QualityReport, Verdict
from tradepipe.stages.timing import timed_stage


@dataclass(frozen=True, slots=True)
class GateOutcome:
    """What may be evaluated: (path, pairs) per dataset; plus every report and the quarantined set."""

    work: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    reports: tuple[QualityReport, ...]
    quarantined: tuple[tuple[str, str], ...]

    def quality_factor(self) -> dict[tuple[str, str], float]:
        return {(r.venue, r.symbol): r.score for r in self.reports if r.verdict is Verdict.WARN}


def gate(settings: Settings, ctx: CycleContext, fetched: list[marketdata.FetchResult]) -> GateOutcome:
    """Check every symbol; quarantine failures with their reason; only clean symbols go on."""
    with timed_stage(settings, ctx, "gate"):
        ledger = wiring.ledger(settings)
        reports: list[QualityReport] = []
        for result in fetched:
            reports += [quality.missing_report(v, s, why) for v, s, why in result.missing]
            reports += _assess(settings, ctx, result.ref.path, result.ref.symbols)
        failing = [r for r in reports if r.verdict is Verdict.QUARANTINE]
        ledger.quarantine(ctx.run_id, [(r.venue, r.symbol, i.check, i.detail) for r in failing for i in r.issues])
        passed = {(r.venue, r.symbol) for r in reports if r.verdict is not Verdict.QUARANTINE}
        ledger.release_quarantine(passed)
        blocked = ledger.quarantined()
        work = tuple(
            (res.ref.path, pairs)
            for res in fetched
            if (pairs := tuple(p for p in res.ref.symbols if p in passed and p not in blocked))
        )
        return GateOutcome(work, tuple(reports), tuple(sorted(blocked)))


def _assess(
    settings: Settings, ctx: CycleContext, path: str, pairs: tuple[tuple[str, str], ...]
) -> list[QualityReport]:
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        issue = QualityIssue("corrupt_file", f"{path}: {type(exc).__name__}: {exc}")
        return [QualityReport(v, s, 0.0, Verdict.QUARANTINE, (issue,)) for v, s in pairs]
    return quality.assess_frame(
        frame,
        timeframe=settings.marketdata.timeframe,
        as_of_ms=ctx.as_of_ms,
        stale_bars=settings.quality.stale_bars,
        min_bars=min(settings.marketdata.history_bars, settings.strategy.slow * 3),
    )
