"""Stage 3: gate data quality; quarantined symbols never reach a strategy.

Tier 1 (polars) checks every batch file; tier 2 (Great Expectations) validates all readable candles of the
cycle as one pandas frame in one checkpoint run. Failures are quarantined in the ledger; a quarantined symbol
is released after ``quality.release_after_clean_cycles`` clean cycles. Open positions are not the gate's
business: the manage stage exits them whatever the gate says.
"""

from __future__ import annotations

import hashlib
import io
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from tradepipe import wiring
from tradepipe.adapters.files import safe_path_component, write_atomically
from tradepipe.adapters.quality.frames import ohlcv_frame, pool_facts_frame
from tradepipe.adapters.storage.quality import GateRunRow
from tradepipe.config import Settings
from tradepipe.core import marketdata, quality
from tradepipe.core.marketdata.schema import CANDLE_SCHEMA
from tradepipe.core.quality.html import render_html
from tradepipe.core.quality.report import GateSummary, QuarantineView, render_worst_markdown
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import DatasetRef
from tradepipe.domain.pools import PoolFacts
from tradepipe.domain.quality import QualityReport, Verdict
from tradepipe.stages.timing import timed_stage

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class GateOutcome:
    """What may be evaluated: (path, pairs) per dataset; plus every report, the quarantined set and the reports."""

    work: tuple[tuple[str, tuple[Pair, ...]], ...]
    reports: tuple[QualityReport, ...]
    quarantined: tuple[Pair, ...]
    html_report: str = ""  # our single-file summary (path)
    data_docs: str = ""  # GX Data Docs page of this run (file:// URL), "" when the GX tier is off
    worst_markdown: str = ""  # markdown table of the worst symbols
    rejected_pools: tuple[Pair, ...] = ()  # (venue, symbol) of DEX pools whose facts failed the pool_facts suite

    def quality_factor(self) -> dict[Pair, float]:
        return {(r.venue, r.symbol): r.score for r in self.reports if r.verdict is Verdict.WARN}


def prewarm(settings: Settings) -> None:
    """Start importing GX and building its checkpoints in the background (the first import costs seconds)."""
    if settings.quality.gx_enabled:
        wiring.gx_runner(settings).prewarm()


def quality_rules(settings: Settings) -> quality.QualityRules:
    q = settings.quality
    return quality.QualityRules(
        stale_bars=q.stale_bars,
        min_bars=min(settings.marketdata.history_bars, settings.strategy.slow * 3),
        spike_z=q.spike_z,
        zero_volume_bars=q.zero_volume_bars,
        pass_score=q.pass_score,
        warn_score=q.warn_score,
    )


def gate(
    settings: Settings,
    ctx: CycleContext,
    fetched: Sequence[marketdata.FetchResult],
    consensus: Mapping[Pair, str] | None = None,
    pools: Sequence[PoolFacts] = (),
) -> GateOutcome:
    """Check every symbol; quarantine failures with their reason; only clean, released symbols go on.

    New DEX pools (from discovery) are validated by the GX ``pool_facts`` suite; failing pools are returned in
    ``rejected_pools`` (they never enter the candle universe, so there is nothing to quarantine).
    """
    with timed_stage(settings, ctx, "gate"):
        rules = quality_rules(settings)
        started = time.perf_counter()
        reports: list[QualityReport] = []
        frames: list[pl.DataFrame] = []
        findings = {**consensus_findings(fetched), **(consensus or {})}
        for result in fetched:
            reports += [quality.missing_report(v, s, why, rules) for v, s, why in result.missing]
            reports += [quality.corrupt_report(v, s, why, rules) for v, s, why in result.corrupt]
            frame, batch_reports = _first_tier(settings, ctx, result.ref, rules, findings)
            reports += batch_reports
            if frame is not None and frame.height:
                frames.append(frame)
        polars_seconds = time.perf_counter() - started
        suite, pool_suite = _second_tier(settings, ctx, frames, pools)
        if suite is not None:
            reports = quality.second_opinion(reports, suite, rules)
        reports = _one_per_pair(reports)
        clean, released, blocked = _quarantine(settings, ctx, reports)
        work = tuple(
            (res.ref.path, pairs)
            for res in fetched
            if (pairs := tuple(p for p in res.ref.symbols if p in clean and p not in blocked))
        )
        summary = GateSummary(
            run_id=ctx.run_id,
            as_of=_utc(ctx.as_of_ms),
            reports=tuple(reports),
            rules=rules,
            rows=sum(f.height for f in frames),
            polars_seconds=polars_seconds,
            suite=suite,
            pool_suite=pool_suite,
            quarantine=_quarantine_views(settings),
            release_after=settings.quality.release_after_clean_cycles,
            released=released,
        )
        html_path = _publish(settings, ctx, summary, blocked)
        return GateOutcome(
            work,
            tuple(reports),
            tuple(sorted(blocked)),
            html_report=str(html_path),
            data_docs=suite.data_docs if suite is not None else "",
            worst_markdown=render_worst_markdown(summary, settings.quality.worst_symbols),
            rejected_pools=summary.rejected_pools(tuple((p.venue, p.symbol) for p in pools)),
        )


def consensus_findings(fetched: Sequence[marketdata.FetchResult]) -> dict[Pair, str]:
    """The fetch stage's cross-source disagreements as ``consensus_disagreement`` details per (venue, symbol)."""
    return {
        (f.venue, f.symbol): (
            f"{f.bars_disagreeing} of {f.bars_compared} bars disagree across {', '.join(f.sources)}; worst "
            f"{f.worst_source} {'without a usable close' if math.isinf(f.worst_bps) else f'{f.worst_bps:.0f} bps'} "
            f"at {_utc(f.worst_timestamp)}; "
            f"{f.replaced} bars taken from another source"
        )
        for result in fetched
        for f in result.consensus
        if f.bars_disagreeing > 0
    }


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _first_tier(
    settings: Settings, ctx: CycleContext, ref: DatasetRef, rules: quality.QualityRules, consensus: Mapping[Pair, str]
) -> tuple[pl.DataFrame | None, list[QualityReport]]:
    """The batch file's polars reports; an unreadable, altered or malformed file quarantines its symbols."""
    try:
        data = Path(ref.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != ref.content_hash:
            raise ValueError(f"content hash mismatch (expected {ref.content_hash[:12]}…)")
        frame = pl.read_parquet(io.BytesIO(data))
        if (problem := quality.schema_problem(frame)) is not None:
            raise ValueError(problem)
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        reason = f"{ref.path}: {type(exc).__name__}: {exc}"
        return None, [quality.corrupt_report(v, s, reason, rules) for v, s in ref.symbols]
    frame = frame.select(list(CANDLE_SCHEMA))
    reports = quality.assess_frame(
        frame, timeframe=settings.marketdata.timeframe, as_of_ms=ctx.as_of_ms, rules=rules, consensus=consensus
    )
    seen = {(r.venue, r.symbol) for r in reports}
    reports += [
        quality.missing_report(v, s, "no rows in the batch file", rules) for v, s in ref.symbols if (v, s) not in seen
    ]
    return frame, reports


def _second_tier(
    settings: Settings, ctx: CycleContext, frames: list[pl.DataFrame], pools: Sequence[PoolFacts]
) -> tuple[quality.SuiteOutcome | None, quality.SuiteOutcome | None]:
    """GX: one checkpoint on all the cycle's candles (one pandas frame), one on the new pools (None = not run)."""
    if not settings.quality.gx_enabled:
        return None, None
    runner = wiring.gx_runner(settings)
    candles = pl.concat(frames, how="vertical") if frames else None
    suite = runner.validate("ohlcv", ohlcv_frame(candles), ctx.run_id) if candles is not None else None
    pool_suite = runner.validate("pool_facts", pool_facts_frame(pools), ctx.run_id) if pools else None
    return suite, pool_suite


def _quarantine(
    settings: Settings, ctx: CycleContext, reports: list[QualityReport]
) -> tuple[set[Pair], int, set[Pair]]:
    """Record failures, count clean cycles and release; returns (clean this cycle, released entries, blocked)."""
    ledger = wiring.ledger(settings)
    failing = [r for r in reports if r.verdict is Verdict.QUARANTINE]
    ledger.quarantine(ctx.run_id, [(r.venue, r.symbol, i.check, i.detail) for r in failing for i in r.issues])
    clean = {(r.venue, r.symbol) for r in reports if r.verdict is not Verdict.QUARANTINE}
    released = ledger.release_quarantine(clean, after_clean_cycles=settings.quality.release_after_clean_cycles)
    return clean, released, ledger.quarantined()


def _one_per_pair(reports: list[QualityReport]) -> list[QualityReport]:
    """A pair seen twice (in two batches, or missing and present) keeps its worse report."""
    kept: dict[Pair, QualityReport] = {}
    for r in reports:
        key = (r.venue, r.symbol)
        if key not in kept or r.score < kept[key].score:
            kept[key] = r
    return list(kept.values())


def _quarantine_views(settings: Settings) -> tuple[QuarantineView, ...]:
    return tuple(
        QuarantineView(e.venue, e.symbol, e.check, e.detail, e.first_seen.strftime("%Y-%m-%d %H:%M"), e.clean_cycles)
        for e in wiring.quality_store(settings).open_quarantine()
    )


def _publish(settings: Settings, ctx: CycleContext, summary: GateSummary, blocked: set[Pair]) -> Path:
    """Write the HTML report (per run, and ``latest.html``) and store the run and its reports."""
    directory = Path(settings.state_dir).resolve() / "quality" / "reports"
    path = directory / f"{safe_path_component('run_id', ctx.run_id)}.html"
    page = render_html(summary, settings.quality.worst_symbols)
    for target in (path, directory / "latest.html"):
        write_atomically(target, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    suite = summary.suite
    wiring.quality_store(settings).record(
        GateRunRow(
            run_id=ctx.run_id,
            as_of_ms=ctx.as_of_ms,
            symbols=len(summary.reports),
            rows=summary.rows,
            passed=summary.count(Verdict.PASS),
            warned=summary.count(Verdict.WARN),
            quarantined=summary.count(Verdict.QUARANTINE),
            blocked=len(blocked),
            released=summary.released,
            polars_seconds=summary.polars_seconds,
            gx_status=summary.gx_status,
            gx_seconds=sum(s.seconds for s in summary.suites),
            gx_failed=tuple(f"{s.kind}: {o.expectation}({o.target})" for s in summary.suites for o in s.failed),
            html_report=str(path),
            data_docs=suite.data_docs if suite else "",
        ),
        summary.reports,
    )
    return path
