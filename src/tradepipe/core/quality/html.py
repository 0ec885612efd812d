"""Our own quality report: one self-contained HTML page (inline CSS, no script, no CDN) that renders offline."""

from __future__ import annotations

from html import escape

from tradepipe.core.quality.report import GateSummary, worst
from tradepipe.core.quality.score import CHECK_WEIGHTS
from tradepipe.core.quality.tiers import SuiteOutcome, tier_agreement
from tradepipe.domain.quality import QualityReport, Verdict

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px}
body{color:#1d2330;padding:0 1rem}h1{font-size:1.5rem;margin-bottom:.2rem}
h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde2ea;padding-bottom:.2rem}
.muted{color:#687386}.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.card{border:1px solid #dde2ea;border-radius:8px;padding:.5rem .9rem;min-width:7rem}
.card b{display:block;font-size:1.35rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eef1f5;vertical-align:top}
th{background:#f5f7fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{border-radius:4px;padding:.05rem .45rem;font-size:.8rem;font-weight:600}
.pass{background:#e3f6e8;color:#17692f}.warn{background:#fff3d6;color:#8a5a00}.quarantine{background:#fde4e4;color:#9b1c1c}
.off,.error{background:#eceff3;color:#4a5465}.failed{background:#fde4e4;color:#9b1c1c}.passed{background:#e3f6e8;color:#17692f}
.bar{background:#eef1f5;border-radius:3px;width:6rem;height:.55rem;display:inline-block;vertical-align:middle}
.bar i{display:block;height:100%;border-radius:3px;background:#3b82f6}
code{background:#f5f7fa;padding:.05rem .3rem;border-radius:3px}details{margin:.5rem 0}
"""


def _badge(text: str) -> str:
    return f'<span class="badge {escape(text)}">{escape(text)}</span>'


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _report_rows(reports: list[QualityReport]) -> list[list[str]]:
    return [
        [
            escape(r.venue),
            escape(r.symbol),
            f'{r.score:.2f} <span class="bar"><i style="width:{r.score * 100:.0f}%"></i></span>',
            _badge(r.verdict.value),
            "<br>".join(f"<code>{escape(i.check)}</code> {escape(i.detail)}" for i in r.issues) or "—",
        ]
        for r in reports
    ]


def _cards(summary: GateSummary) -> str:
    blocked = len({(q.venue, q.symbol) for q in summary.quarantine})
    gx_seconds = sum(s.seconds for s in summary.suites)
    cards = [
        ("symbols", str(len(summary.reports))),
        ("pass", str(summary.count(Verdict.PASS))),
        ("warn", str(summary.count(Verdict.WARN))),
        ("quarantine", str(summary.count(Verdict.QUARANTINE))),
        ("blocked (open)", str(blocked)),
        ("released", str(summary.released)),
        ("candles", f"{summary.rows:,}"),
        ("polars tier", f"{summary.polars_seconds:.3f} s"),
        ("GX tier", summary.gx_status + (f" · {gx_seconds:.2f} s" if summary.suites else "")),
    ]
    return (
        '<div class="cards">' + "".join(f'<div class="card"><b>{v}</b>{escape(k)}</div>' for k, v in cards) + "</div>"
    )


def _formula(summary: GateSummary) -> str:
    rules = summary.rules
    weights = _table(
        ["check", "weight"],
        [[f"<code>{escape(c)}</code>", f"{w:g}"] for c, w in sorted(CHECK_WEIGHTS.items(), key=lambda x: -x[1])],
        {1},
    )
    return (
        "<h2>Score</h2><p><code>score = max(0, 1 − Σ weight(failed check))</code>; "
        f"<b>pass</b> if score ≥ {rules.pass_score:g}, <b>warn</b> (trades, size × score) if score ≥ "
        f"{rules.warn_score:g}, else <b>quarantine</b>. A quarantined symbol is released after "
        f"{summary.release_after} clean cycle(s). Spike: robust z &gt; {rules.spike_z:g}; zero-volume run ≥ "
        f"{rules.zero_volume_bars} bars; stale: last bar older than {rules.stale_bars} bars; "
        f"short history: &lt; {rules.min_bars} bars.</p><details><summary>check weights</summary>{weights}</details>"
    )


def _gx_section(suite: SuiteOutcome | None, reports: tuple[QualityReport, ...], title: str) -> str:
    if suite is None:
        return f"<h2>{escape(title)}</h2><p>Not run (<code>quality.gx_enabled = false</code> or no data).</p>"
    status = "error" if suite.error else ("passed" if suite.success else "failed")
    head = f"<h2>{escape(title)} {_badge(status)}</h2>"
    if suite.error:
        return head + f"<p>GX could not run: <code>{escape(suite.error)}</code>. The polars verdicts stand.</p>"
    agreement = ""
    if reports:
        agree = tier_agreement(reports, suite)
        agreement = (
            f" Tiers on integrity: both failed {agree['both_failed']}, polars only {agree['polars_only']}, "
            f"GX only {agree['gx_only']}, both passed {agree['both_passed']}."
        )
    link = (
        f"<p>Suite <code>tradepipe.{escape(suite.kind)}</code> on {suite.rows:,} rows in {suite.seconds:.2f} s. "
        f'<a href="{escape(suite.data_docs)}">GX Data Docs for this run</a> (styled from a CDN: offline it renders '
        f"plain).{agreement}</p>"
    )
    rows = [
        [
            f"<code>{escape(o.expectation)}</code>",
            escape(o.target),
            escape(o.mirrors),
            _badge("passed" if o.success else "failed"),
            str(o.unexpected),
            escape(", ".join(f"{v}:{s}" for v, s in o.pairs[:6]) + (" …" if len(o.pairs) > 6 else "")),
        ]
        for o in sorted(suite.outcomes, key=lambda o: (o.success, o.expectation, o.target))
    ]
    return head + link + _table(["expectation", "on", "mirrors check", "result", "rows", "symbols"], rows, {4})


def render_html(summary: GateSummary, worst_n: int = 10) -> str:
    """The whole page as one string."""
    counts = summary.check_counts()
    quarantine_rows = [
        [
            escape(q.venue),
            escape(q.symbol),
            f"<code>{escape(q.check)}</code>",
            escape(q.detail),
            escape(q.since),
            f"{q.clean_cycles}/{summary.release_after}",
        ]
        for q in summary.quarantine
    ]
    ordered = sorted(summary.reports, key=lambda r: (r.score, r.venue, r.symbol))
    headers = ["venue", "symbol", "score", "verdict", "findings"]
    worst_rows = _report_rows(worst(summary.reports, worst_n))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Quality gate {escape(summary.run_id)}</title><style>{CSS}</style></head><body>",
        f"<h1>Quality gate</h1><div class='muted'>run <code>{escape(summary.run_id)}</code> · sim time "
        f"{escape(summary.as_of)}</div>",
        _cards(summary),
        "<h2>Worst symbols</h2>"
        + (_table(headers, worst_rows) if worst_rows else "<p>Every symbol passed every check.</p>"),
        "<h2>Findings by check</h2>"
        + (
            _table(
                ["check", "symbols", "weight"],
                [[f"<code>{escape(c)}</code>", str(n), f"{CHECK_WEIGHTS[c]:g}"] for c, n in counts.most_common()],
                {1, 2},
            )
            if counts
            else "<p>none</p>"
        ),
        "<h2>Open quarantine</h2>"
        + (
            _table(["venue", "symbol", "check", "detail", "since", "clean cycles"], quarantine_rows, {5})
            if quarantine_rows
            else "<p>none</p>"
        ),
        _gx_section(summary.suite, summary.reports, "Great Expectations tier: candles"),
        _gx_section(summary.pool_suite, (), "Great Expectations tier: new DEX pools") if summary.pool_suite else "",
        _formula(summary),
        f"<details><summary>All {len(ordered)} symbols</summary>{_table(headers, _report_rows(ordered))}</details>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
